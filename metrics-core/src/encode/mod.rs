//! The encoders: each writes one output format from the sorted metrics of some groups.

pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod openmetrics;
pub(crate) mod prometheus;

/// The `Content-Type` of `/metrics.json`.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// An output format of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The KumoMTA-style `/metrics.json` document, compact.
    Json,
    /// The Prometheus text exposition format, version 0.0.4.
    Prometheus,
    /// The OpenMetrics 1.0 text format.
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` header of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON_CONTENT_TYPE,
            Format::Prometheus => prometheus::CONTENT_TYPE,
            Format::OpenMetrics => openmetrics::CONTENT_TYPE,
        }
    }

    /// Writes `metrics` in this format.
    pub(crate) fn write<W: Write + ?Sized>(
        self,
        w: &mut W,
        metrics: &crate::group::Sorted<'_>,
    ) -> io::Result<()> {
        match self {
            Format::Json => json::write(w, metrics),
            Format::Prometheus => prometheus::write(w, metrics, prometheus::Flavor::Prometheus),
            Format::OpenMetrics => openmetrics::write(w, metrics),
        }
    }
}

use std::io::{self, Write};

/// Writes a float the way `serde_json` writes an `f64` (shortest round-trip form, `.0` on whole
/// numbers), or `non_finite` for NaN and the infinities.
#[inline]
pub(crate) fn write_f64<W: Write + ?Sized>(w: &mut W, v: f64, non_finite: &[u8]) -> io::Result<()> {
    if v.is_finite() {
        w.write_all(zmij::Buffer::new().format_finite(v).as_bytes())
    } else {
        w.write_all(non_finite)
    }
}

/// Writes an unsigned integer in decimal.
#[inline]
pub(crate) fn write_u64<W: Write + ?Sized>(w: &mut W, v: u64) -> io::Result<()> {
    w.write_all(itoa::Buffer::new().format(v).as_bytes())
}

/// Integers up to this size are exact as `f64` and written by `serde_json` as `<digits>.0`.
const EXACT: u64 = 1 << 53;

/// Writes an integer the way `serde_json` writes it converted to `f64` (`46.0`), without the
/// float formatter for the common case.
#[inline]
pub(crate) fn write_i64_as_f64<W: Write + ?Sized>(w: &mut W, v: i64) -> io::Result<()> {
    if v.unsigned_abs() <= EXACT {
        w.write_all(itoa::Buffer::new().format(v).as_bytes())?;
        w.write_all(b".0")
    } else {
        write_f64(w, v as f64, b"null")
    }
}

/// As [`write_i64_as_f64`], for a counter.
#[inline]
pub(crate) fn write_u64_as_f64<W: Write + ?Sized>(w: &mut W, v: u64) -> io::Result<()> {
    if v <= EXACT {
        write_u64(w, v)?;
        w.write_all(b".0")
    } else {
        write_f64(w, v as f64, b"null")
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Nonzero if a byte of `x` equals `b`.
#[inline(always)]
fn has_byte(x: u64, b: u8) -> u64 {
    let y = x ^ (ONES * u64::from(b));
    y.wrapping_sub(ONES) & !y & HIGHS
}

/// Nonzero if a byte of `x` is below `n` (for `n <= 128`).
#[inline(always)]
fn has_below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// Whether any byte of `bytes` passes `test`, eight at a time; short strings byte by byte.
#[inline(always)]
fn any_byte(bytes: &[u8], word_test: impl Fn(u64) -> u64, byte_test: impl Fn(u8) -> bool) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        if let Some(w) = chunk.first_chunk::<8>() {
            if word_test(u64::from_le_bytes(*w)) != 0 {
                return true;
            }
        }
    }
    chunks.remainder().iter().any(|b| byte_test(*b))
}

/// Whether a label value needs escaping in the text formats: `\`, `"` or a newline.
#[inline]
pub(crate) fn needs_text_escape(bytes: &[u8]) -> bool {
    any_byte(
        bytes,
        |x| has_byte(x, b'\\') | has_byte(x, b'"') | has_byte(x, b'\n'),
        |b| matches!(b, b'\\' | b'"' | b'\n'),
    )
}

/// Whether a string needs escaping in JSON: `\`, `"` or a control character.
#[inline]
pub(crate) fn needs_json_escape(bytes: &[u8]) -> bool {
    any_byte(
        bytes,
        |x| has_byte(x, b'\\') | has_byte(x, b'"') | has_below(x, 0x20),
        |b| b == b'\\' || b == b'"' || b < 0x20,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_written_as_serde_json_writes_them_as_floats() {
        let mut probes: Vec<i64> = vec![0, 1, -1, 46, 152, 101_234_377_728, i64::MIN, i64::MAX];
        for shift in 0..63 {
            let p = 1i64 << shift;
            probes.extend([p - 1, p, p + 1, -p, -p - 1, -p + 1]);
        }
        for p in [
            9_999_999_999_999_999i64,
            10_000_000_000_000_000,
            1_000_000_000_000_000,
        ] {
            probes.extend([p - 1, p, p + 1, -p]);
        }
        for v in probes {
            let mut ours = Vec::new();
            write_i64_as_f64(&mut ours, v).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&(v as f64)).unwrap(),
                "{v}"
            );
            if let Ok(u) = u64::try_from(v) {
                let mut ours = Vec::new();
                write_u64_as_f64(&mut ours, u).unwrap();
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    serde_json::to_string(&(u as f64)).unwrap(),
                    "{u}"
                );
            }
        }
        let mut ours = Vec::new();
        write_u64_as_f64(&mut ours, u64::MAX).unwrap();
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            serde_json::to_string(&(u64::MAX as f64)).unwrap()
        );
    }

    #[test]
    fn escape_scans_find_every_byte_that_needs_it() {
        for len in 0..40 {
            let plain = vec![b'a'; len];
            assert!(!needs_text_escape(&plain));
            assert!(!needs_json_escape(&plain));
            for at in 0..len {
                for special in [b'\\', b'"', b'\n'] {
                    let mut s = plain.clone();
                    s[at] = special;
                    assert!(needs_text_escape(&s), "{len} {at} {special}");
                    assert!(needs_json_escape(&s), "{len} {at} {special}");
                }
                for control in [0u8, 1, 0x1f, b'\t', b'\r'] {
                    let mut s = plain.clone();
                    s[at] = control;
                    assert!(needs_json_escape(&s), "{len} {at} {control}");
                    assert_eq!(needs_text_escape(&s), control == b'\n');
                }
                for fine in [0x20u8, 0x7f, 0x80, 0xff, b'~'] {
                    let mut s = plain.clone();
                    s[at] = fine;
                    assert!(!needs_json_escape(&s), "{len} {at} {fine}");
                    assert!(!needs_text_escape(&s), "{len} {at} {fine}");
                }
            }
        }
    }
}
