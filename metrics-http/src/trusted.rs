//! Trusted-IP authentication: the list of addresses and CIDR blocks allowed to scrape.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net};

/// The IP addresses and CIDR blocks (IPv4 and IPv6) whose peers may read the metrics.
///
/// The default trusts `127.0.0.1` and `::1` only. A peer is matched by the address of its TCP
/// connection, an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`) as the IPv4 address it carries.
/// Entries are read the same way: `::ffff:127.0.0.1` trusts `127.0.0.1`, `::ffff:0:0/96` every
/// IPv4 peer, and an IPv6 block holding all the mapped addresses (`::/0`) every IPv4 peer as
/// well; the list prints them as they are matched.
///
/// ```
/// use meterstick_http::TrustedHosts;
///
/// let trusted = TrustedHosts::new(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]).unwrap();
/// assert!(trusted.contains("10.20.30.40".parse().unwrap()));
/// assert!(trusted.contains("::ffff:10.20.30.40".parse().unwrap()));
/// assert!(!trusted.contains("127.0.0.1".parse().unwrap()));
///
/// let err = TrustedHosts::new(["10.0.0.1/8"]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "trusted host `10.0.0.1/8`: host bits set; did you mean 10.0.0.0/8?"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedHosts {
    nets: Vec<IpNet>,
}

/// Why a trusted-host entry was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustedHostError {
    /// The entry is not an IP address, nor an address and a prefix length.
    #[error(
        "trusted host `{entry}` is not an IP address or a CIDR block; write an address \
         (`10.1.2.3`, `::1`) or a block (`10.0.0.0/8`, `fd00::/8`)"
    )]
    Invalid {
        /// The entry as given.
        entry: String,
    },
    /// The prefix length is not a number up to 32 (IPv4) or 128 (IPv6).
    #[error("trusted host `{entry}`: the prefix length must be a number from 0 to {max}")]
    BadPrefix {
        /// The entry as given.
        entry: String,
        /// The longest prefix of the address family.
        max: u8,
    },
    /// The address has bits set below the prefix, so the block is ambiguous.
    #[error("trusted host `{entry}`: host bits set; did you mean {suggestion}?")]
    HostBitsSet {
        /// The entry as given.
        entry: String,
        /// The block with the host bits cleared.
        suggestion: String,
    },
    /// The list trusts nobody.
    #[error(
        "the trusted host list is empty, so no peer could read the metrics; list at least one address"
    )]
    Empty,
}

impl TrustedHosts {
    /// Parses a list of addresses and CIDR blocks, failing on the first malformed one.
    pub fn new<I, S>(entries: I) -> Result<Self, TrustedHostError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut nets: Vec<IpNet> = Vec::new();
        let mut add = |net: IpNet| {
            // Once each, so that the list prints back to itself.
            if !nets.contains(&net) {
                nets.push(net);
            }
        };
        for entry in entries {
            let net = parse_entry(entry.as_ref())?;
            add(as_peers_are_matched(net));
            if contains_every_mapped_address(net) {
                add(IpNet::V4(Ipv4Net::default()));
            }
        }
        if nets.is_empty() {
            return Err(TrustedHostError::Empty);
        }
        Ok(TrustedHosts { nets })
    }

    /// Trusts `127.0.0.1` and `::1`: the default.
    pub fn localhost() -> Self {
        TrustedHosts {
            nets: vec![
                IpNet::from(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            ],
        }
    }

    /// Whether a peer at `ip` may read the metrics.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

impl Default for TrustedHosts {
    fn default() -> Self {
        TrustedHosts::localhost()
    }
}

impl FromStr for TrustedHosts {
    type Err = TrustedHostError;

    /// Parses a comma-separated list, such as `127.0.0.1, 10.0.0.0/8`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrustedHosts::new(s.split(',').filter(|e| !e.trim().is_empty()))
    }
}

impl fmt::Display for TrustedHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, net) in self.nets.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if net.prefix_len() == net.max_prefix_len() {
                write!(f, "{}", net.addr())?;
            } else {
                write!(f, "{net}")?;
            }
        }
        Ok(())
    }
}

/// The block an entry stands for, written as peers are matched: an IPv4-mapped IPv6 block
/// (`::ffff:10.0.0.0/104`) as the IPv4 block it maps (`10.0.0.0/8`).
fn as_peers_are_matched(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= MAPPED_PREFIX => match v6.addr().to_ipv4_mapped() {
            Some(v4) => IpNet::V4(
                Ipv4Net::new(v4, v6.prefix_len() - MAPPED_PREFIX)
                    .expect("a prefix of at most 128 - 96 bits fits IPv4"),
            ),
            None => net,
        },
        _ => net,
    }
}

/// Whether an IPv6 block holds all of `::ffff:0:0/96`, so that it trusts every IPv4 peer too
/// (`::/0`, say).
fn contains_every_mapped_address(net: IpNet) -> bool {
    match net {
        IpNet::V6(v6) => {
            v6.prefix_len() < MAPPED_PREFIX
                && v6.contains(&Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0))
        }
        IpNet::V4(_) => false,
    }
}

/// The length of the prefix `::ffff:0:0/96` of IPv4-mapped IPv6 addresses.
const MAPPED_PREFIX: u8 = 96;

fn parse_entry(entry: &str) -> Result<IpNet, TrustedHostError> {
    let trimmed = entry.trim();
    let (addr, prefix) = match trimmed.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (trimmed, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| TrustedHostError::Invalid {
        entry: entry.to_owned(),
    })?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match prefix {
        None => max,
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|len| *len <= max)
            .ok_or_else(|| TrustedHostError::BadPrefix {
                entry: entry.to_owned(),
                max,
            })?,
    };
    let net = IpNet::new(ip, len).map_err(|_| TrustedHostError::BadPrefix {
        entry: entry.to_owned(),
        max,
    })?;
    if net.trunc() != net {
        return Err(TrustedHostError::HostBitsSet {
            entry: entry.to_owned(),
            suggestion: net.trunc().to_string(),
        });
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn default_trusts_loopback_only() {
        let t = TrustedHosts::default();
        assert!(t.contains(ip("127.0.0.1")));
        assert!(t.contains(ip("::1")));
        assert!(t.contains(ip("::ffff:127.0.0.1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert!(!t.contains(ip("10.0.0.1")));
        assert_eq!(t.to_string(), "127.0.0.1, ::1");
    }

    #[test]
    fn blocks_and_addresses() {
        let t: TrustedHosts = "10.0.0.0/8, 192.168.1.7 ,fd00::/8,0.0.0.0/0"
            .parse()
            .unwrap();
        assert!(t.contains(ip("8.8.8.8")));
        let t = TrustedHosts::new(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]).unwrap();
        assert!(t.contains(ip("10.255.0.1")));
        assert!(t.contains(ip("192.168.1.7")));
        assert!(!t.contains(ip("192.168.1.8")));
        assert!(t.contains(ip("fd12::1")));
        assert!(!t.contains(ip("fe80::1")));
        assert!(t.contains(ip("::ffff:10.1.1.1")));
        assert!(!t.contains(ip("::ffff:11.1.1.1")));
    }

    #[test]
    fn ipv4_mapped_entries_match_the_ipv4_peers_they_map() {
        let t = TrustedHosts::new(["::ffff:127.0.0.1"]).unwrap();
        assert!(t.contains(ip("127.0.0.1")));
        assert!(t.contains(ip("::ffff:127.0.0.1")));
        assert!(!t.contains(ip("127.0.0.2")));
        assert_eq!(t.to_string(), "127.0.0.1");
        let t = TrustedHosts::new(["::ffff:10.0.0.0/104"]).unwrap();
        assert!(t.contains(ip("10.9.8.7")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert_eq!(t.to_string(), "10.0.0.0/8");
        let t = TrustedHosts::new(["::ffff:0:0/96"]).unwrap();
        assert!(t.contains(ip("192.0.2.1")));
        assert!(!t.contains(ip("::1")));
        assert_eq!(t.to_string(), "0.0.0.0/0");
        let t = TrustedHosts::new(["::/0"]).unwrap();
        assert!(t.contains(ip("192.0.2.1")) && t.contains(ip("2001:db8::1")));
        assert_eq!(t.to_string(), "::/0, 0.0.0.0/0");
        // What it prints reads back as the same list (found by the fuzzer, with `::/74`).
        assert_eq!(t.to_string().parse::<TrustedHosts>().unwrap(), t);
        let t: TrustedHosts = "::/74, 127.0.0.1, ::ffff:127.0.0.1".parse().unwrap();
        assert_eq!(t.to_string(), "::/74, 0.0.0.0/0, 127.0.0.1");
        assert_eq!(t.to_string().parse::<TrustedHosts>().unwrap(), t);
        // A block beside the mapped range is left as it is.
        let t = TrustedHosts::new(["fd00::/8"]).unwrap();
        assert!(!t.contains(ip("10.0.0.1")));
        assert_eq!(t.to_string(), "fd00::/8");
        assert_eq!(
            TrustedHosts::new(["::ffff:10.0.0.1/104"])
                .unwrap_err()
                .to_string(),
            "trusted host `::ffff:10.0.0.1/104`: host bits set; did you mean ::ffff:10.0.0.0/104?"
        );
    }

    #[test]
    fn malformed_entries_say_what_to_write() {
        let err = |s: &str| TrustedHosts::new([s]).unwrap_err().to_string();
        assert_eq!(
            err("10.0.0.1/8"),
            "trusted host `10.0.0.1/8`: host bits set; did you mean 10.0.0.0/8?"
        );
        assert_eq!(
            err("fd00::1/8"),
            "trusted host `fd00::1/8`: host bits set; did you mean fd00::/8?"
        );
        assert!(err("10.0.0.0/33").contains("prefix length must be a number from 0 to 32"));
        assert!(err("::/129").contains("from 0 to 128"));
        assert!(err("10.0.0.0/x").contains("from 0 to 32"));
        assert!(err("localhost").contains("is not an IP address or a CIDR block"));
        assert!(err("10.0.0").contains("is not an IP address"));
        assert!(err("").contains("is not an IP address"));
        assert_eq!(
            TrustedHosts::new(Vec::<String>::new()).unwrap_err(),
            TrustedHostError::Empty
        );
        assert_eq!(
            "".parse::<TrustedHosts>().unwrap_err(),
            TrustedHostError::Empty
        );
    }
}
