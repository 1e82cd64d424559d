//! Label sets: the values that identify one series of a family.

use std::cmp::Ordering;
use std::hash::{BuildHasher, Hasher};

/// The most label keys one family can have.
pub const MAX_LABELS: usize = 8;

/// The value a full family gives new label values: see `#[metric(max_series = N)]`.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// The label values of one series: a `String` for one key, a tuple of `String`s for several, or
/// an enum deriving `LabelValue`.
///
/// The type names the shape of the values; lookups take the borrowed form [`LabelSet::Ref`]
/// (`&str`, or a tuple of `&str`), so an update of an existing series allocates nothing. A new
/// series keeps its values in the same allocation as its metric, not as values of this type.
pub trait LabelSet: Send + Sync + 'static {
    /// The borrowed form taken by lookups.
    type Ref<'a>: Copy;

    /// The number of label keys.
    const ARITY: usize;

    /// For a label type with a fixed set of values (an enum deriving `LabelValue`), how many
    /// there are: its families keep one slot per value and never hash.
    const CARDINALITY: Option<usize> = None;

    /// The value of the `i`-th key, for `i < ARITY`.
    fn value_of<'a>(values: Self::Ref<'a>, i: usize) -> &'a str;

    /// The slot of these values, below [`Self::CARDINALITY`], for fixed-cardinality types.
    fn dense_index(values: Self::Ref<'_>) -> usize {
        let _ = values;
        0
    }

    /// The values of slot `index`, for fixed-cardinality types.
    fn from_dense_index<'a>(index: usize) -> Option<Self::Ref<'a>> {
        let _ = index;
        None
    }

    /// The values that stand for every new series once a family is full
    /// ([`OVERFLOW_LABEL_VALUE`] for each key), or `None` for fixed-cardinality types, whose
    /// families cannot fill up.
    fn overflow<'a>() -> Option<Self::Ref<'a>>;
}

impl LabelSet for String {
    type Ref<'a> = &'a str;
    const ARITY: usize = 1;

    #[inline]
    fn value_of<'a>(values: Self::Ref<'a>, _: usize) -> &'a str {
        values
    }

    fn overflow<'a>() -> Option<&'a str> {
        Some(OVERFLOW_LABEL_VALUE)
    }
}

macro_rules! tuple_label_set {
    ($n:expr; $($i:tt $t:ident),+) => {
        impl LabelSet for ($($t,)+) {
            type Ref<'a> = ($(tuple_label_set!(@str 'a $t),)+);
            const ARITY: usize = $n;

            #[inline]
            fn value_of<'a>(values: Self::Ref<'a>, i: usize) -> &'a str {
                match i {
                    $($i => values.$i,)+
                    _ => "",
                }
            }

            fn overflow<'a>() -> Option<Self::Ref<'a>> {
                Some(($(tuple_label_set!(@overflow $t),)+))
            }
        }
    };
    (@str $a:lifetime $t:ident) => { &$a str };
    (@overflow $t:ident) => { OVERFLOW_LABEL_VALUE };
}

tuple_label_set!(2; 0 String, 1 String);
tuple_label_set!(3; 0 String, 1 String, 2 String);
tuple_label_set!(4; 0 String, 1 String, 2 String, 3 String);
tuple_label_set!(5; 0 String, 1 String, 2 String, 3 String, 4 String);
tuple_label_set!(6; 0 String, 1 String, 2 String, 3 String, 4 String, 5 String);
tuple_label_set!(7; 0 String, 1 String, 2 String, 3 String, 4 String, 5 String, 6 String);
tuple_label_set!(8; 0 String, 1 String, 2 String, 3 String, 4 String, 5 String, 6 String, 7 String);

/// Whether `s` is a word of ASCII letters, digits and `_` (and `:` with `colon`), not starting
/// with a digit: a label key, or with `colon` a metric name.
pub(crate) fn is_word(s: &str, colon: bool) -> bool {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || (colon && c == b':');
    s.bytes()
        .next()
        .is_some_and(|c| !c.is_ascii_digit() && word(c))
        && s.bytes().all(word)
}

const MIX: u64 = 0xf135_7aea_2e62_a9c5;

/// The eight bytes at `at` as a number; `at + 8` must not pass the end.
#[inline(always)]
fn word(bytes: &[u8], at: usize) -> u64 {
    match bytes[at..].first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => 0,
    }
}

/// The bytes past the last whole word of `bytes`, read as one number without copying them
/// apart: the last eight bytes, overlapping the word before, when there are eight; else all.
#[inline(always)]
fn tail(bytes: &[u8]) -> u64 {
    match bytes.len() {
        n @ 8.. => word(bytes, n - 8),
        _ => short_word(bytes),
    }
}

/// The bytes of a string shorter than eight as one number, lowest first, zeros above: two or
/// three loads that may overlap, no loop. Longer strings give their first eight bytes.
#[inline(always)]
pub(crate) fn short_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let half = |at: usize| match bytes[at..].first_chunk::<4>() {
        Some(w) => u64::from(u32::from_le_bytes(*w)),
        None => 0,
    };
    let byte = |at: usize| u64::from(bytes[at]) << (8 * at);
    match n {
        8.. => word(bytes, 0),
        4..=7 => half(0) | (half(n - 4) << (8 * (n - 4))),
        1..=3 => byte(0) | byte(n / 2) | byte(n - 1),
        0 => 0,
    }
}

/// Calls `f` with the positions of words that together cover a string of `n > 8` bytes,
/// stopping early when it returns `false`: up to 24 bytes without a loop (the last word
/// overlapping the one before), longer strings word by word, then their last eight bytes.
#[inline(always)]
fn cover(n: usize, mut f: impl FnMut(usize) -> bool) -> bool {
    match n {
        0..=16 => f(0) && f(n.saturating_sub(8)),
        17..=24 => f(0) && f(8) && f(n - 8),
        _ => (0..n / 8).all(|i| f(i * 8)) && (n % 8 == 0 || f(n - 8)),
    }
}

/// A fast unkeyed fold of `bytes` into `seed`: words folded by rotate and xor. Weak against
/// chosen inputs, which is fine where a collision only costs a miss.
#[inline]
fn fingerprint(bytes: &[u8], seed: u64) -> u64 {
    let mut h = seed.rotate_left(29) ^ bytes.len() as u64;
    if bytes.len() <= 8 {
        h = h.rotate_left(23) ^ tail(bytes);
    } else {
        cover(bytes.len(), |at| {
            h = h.rotate_left(23) ^ word(bytes, at);
            true
        });
    }
    h
}

/// Byte equality inlined for the short strings labels are, rather than a call to `memcmp`.
#[inline(always)]
fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    // Spelled out up to 24 bytes, as `cover` goes, so that nothing is left to a call.
    let same = |at: usize| word(a, at) == word(b, at);
    match a.len() {
        n if n != b.len() => false,
        0..=8 => tail(a) == tail(b),
        n @ 9..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        n @ 17..=24 => {
            word(a, 0) == word(b, 0) && word(a, 8) == word(b, 8) && word(a, n - 8) == word(b, n - 8)
        }
        n => cover(n, same),
    }
}

/// Separates the values of a series with several keys where the series keeps them: a byte
/// that UTF-8 never uses, so that no value can contain it.
const SEPARATOR: u8 = 0xFF;

/// Calls `f` with `values` laid out as a series keeps them, after its metric in one allocation:
/// the bytes of each value in key order, [`SEPARATOR`] between two values. A single value is
/// passed as it is.
pub(crate) fn with_packed<L: LabelSet, R>(values: L::Ref<'_>, f: impl FnOnce(&[u8]) -> R) -> R {
    if L::ARITY == 1 {
        return f(L::value_of(values, 0).as_bytes());
    }
    let len = (0..L::ARITY)
        .map(|i| L::value_of(values, i).len() + 1)
        .sum();
    let mut packed = Vec::with_capacity(len);
    for i in 0..L::ARITY {
        if i > 0 {
            packed.push(SEPARATOR);
        }
        packed.extend_from_slice(L::value_of(values, i).as_bytes());
    }
    f(&packed)
}

/// The label values of a series as it keeps them: packed (see [`with_packed`]), and whether
/// they are plain (need no escaping in any format), found once when the series is created.
#[derive(Clone, Copy)]
pub(crate) struct Stored<'a> {
    packed: &'a [u8],
    plain: bool,
}

impl<'a> Stored<'a> {
    #[inline(always)]
    pub(crate) fn new(packed: &'a [u8], plain: bool) -> Self {
        Stored { packed, plain }
    }

    /// The packed values.
    #[inline(always)]
    pub(crate) fn packed(self) -> &'a [u8] {
        self.packed
    }

    /// Whether no value needs escaping.
    #[inline(always)]
    pub(crate) fn plain(self) -> bool {
        self.plain
    }
}

/// The values of a packed series, in key order.
#[inline]
pub(crate) fn unpack<L: LabelSet>(packed: &[u8]) -> impl Iterator<Item = &[u8]> {
    // One key: the whole, unscanned.
    packed.splitn(L::ARITY, |b| *b == SEPARATOR)
}

/// Whether a packed series holds exactly `values`. Always inlined: on a cache hit it is most of
/// the work, and as a call it cost the W3 loop a tenth of its time (not of its instructions).
#[inline(always)]
pub(crate) fn matches<L: LabelSet>(packed: &[u8], values: L::Ref<'_>) -> bool {
    if L::ARITY == 1 {
        return bytes_eq(packed, L::value_of(values, 0).as_bytes());
    }
    let mut rest = packed;
    for i in 0..L::ARITY {
        if i > 0 {
            match rest.split_first() {
                Some((&SEPARATOR, after)) => rest = after,
                _ => return false,
            }
        }
        let value = L::value_of(values, i).as_bytes();
        match rest.split_at_checked(value.len()) {
            Some((head, after)) if bytes_eq(head, value) => rest = after,
            _ => return false,
        }
    }
    rest.is_empty()
}

/// A quick unkeyed digest of the values for the per-thread lookup cache, where a collision only
/// costs a cache miss (the values are compared before a hit is used), made distinct for each
/// `stamp`: the same values under two stamps never give the same digest. Its high bits are the
/// best mixed.
#[inline]
pub(crate) fn digest<L: LabelSet>(values: L::Ref<'_>, stamp: u64) -> u64 {
    let folded = (0..L::ARITY).fold(0, |h, i| fingerprint(L::value_of(values, i).as_bytes(), h));
    // The same values fold the same, so two stamps add up to two sums; multiplying by an odd
    // number is one-to-one, so the sums stay distinct.
    folded.wrapping_add(stamp).wrapping_mul(MIX)
}

/// A stamp for [`digest`] that no call gave before: one per family, and one more at each
/// removal from it. A 64-bit count does not wrap in the life of a process.
pub(crate) fn new_stamp() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// The family table's hash of `values`, keyed by `hasher`.
#[inline]
pub(crate) fn hash<L: LabelSet>(hasher: &impl BuildHasher, values: L::Ref<'_>) -> u64 {
    let mut state = hasher.build_hasher();
    for i in 0..L::ARITY {
        state.write(L::value_of(values, i).as_bytes());
        state.write_u8(SEPARATOR);
    }
    state.finish()
}

/// The same hash as [`hash`], of a packed series.
pub(crate) fn hash_packed<L: LabelSet>(hasher: &impl BuildHasher, packed: &[u8]) -> u64 {
    let mut state = hasher.build_hasher();
    for value in unpack::<L>(packed) {
        state.write(value);
        state.write_u8(SEPARATOR);
    }
    state.finish()
}

/// Orders two packed series by their values, key by key, as the output formats list series.
#[inline]
pub(crate) fn compare<L: LabelSet>(a: &[u8], b: &[u8]) -> Ordering {
    if L::ARITY == 1 {
        a.cmp(b)
    } else {
        unpack::<L>(a).cmp(unpack::<L>(b))
    }
}

/// Calls `f` with the values of a packed series as a slice of strings, without allocating.
#[inline]
pub(crate) fn with_values<L: LabelSet, R>(packed: &[u8], f: impl FnOnce(&[&str]) -> R) -> R {
    let mut values = [""; MAX_LABELS];
    for (slot, value) in values.iter_mut().zip(unpack::<L>(packed)) {
        // Packed from `&str`s, split where they were joined: always UTF-8.
        *slot = std::str::from_utf8(value).unwrap_or_default();
    }
    f(&values[..L::ARITY.min(MAX_LABELS)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_eq_agrees_with_eq() {
        let words = [
            "",
            "a",
            "ab",
            "smtp_client",
            "smtp_client:source1->",
            "smtp_client:source2->",
            "smtp_client:source12->",
            "0123456789abcdef",
            "0123456789abcdeg",
        ];
        for a in words {
            for b in words {
                assert_eq!(bytes_eq(a.as_bytes(), b.as_bytes()), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn bytes_eq_sees_every_byte_of_every_length() {
        for len in 0..70 {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(bytes_eq(&a, &a.clone()));
            let mut longer = a.clone();
            longer.push(b'z');
            assert!(!bytes_eq(&a, &longer));
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!bytes_eq(&a, &b), "{len} {at}");
                assert_ne!(fingerprint(&a, 0), fingerprint(&b, 0), "{len} {at}");
            }
        }
    }

    const WORDS: [&str; 7] = ["", "a", "ab", "b", "a\u{e9}", "\"", "\u{ffff}"];

    type Pair = (&'static str, &'static str);
    type Triple = (&'static str, &'static str, &'static str);

    /// What the packed form of `values` must agree with, for every other tuple of the same
    /// keys: equality, order, the table's hash, and the values given back.
    fn check_packed<L: LabelSet, T: Ord + Copy + std::fmt::Debug>(
        all: &[T],
        values: impl Fn(T) -> L::Ref<'static>,
        strings: impl Fn(T) -> Vec<&'static str>,
    ) {
        let hasher = foldhash::fast::RandomState::default();
        for &a in all {
            with_packed::<L, _>(values(a), |packed| {
                let unpacked: Vec<&[u8]> = unpack::<L>(packed).collect();
                let expected: Vec<&[u8]> = strings(a).iter().map(|s| s.as_bytes()).collect();
                assert_eq!(unpacked, expected, "{a:?}");
                with_values::<L, _>(packed, |v| assert_eq!(v, strings(a), "{a:?}"));
                assert_eq!(
                    hash_packed::<L>(&hasher, packed),
                    hash::<L>(&hasher, values(a))
                );
                for &b in all {
                    assert_eq!(matches::<L>(packed, values(b)), a == b, "{a:?} {b:?}");
                    with_packed::<L, _>(values(b), |other| {
                        assert_eq!(compare::<L>(packed, other), a.cmp(&b), "{a:?} {b:?}");
                    });
                }
            });
        }
    }

    #[test]
    fn packed_values_keep_their_keys_apart() {
        // Values that are empty, prefixes of each other, or not ASCII, in every combination.
        let pairs: Vec<Pair> = WORDS.iter().flat_map(|a| WORDS.map(|b| (*a, b))).collect();
        let triples: Vec<Triple> = pairs
            .iter()
            .flat_map(|(a, b)| WORDS.map(|c| (*a, *b, c)))
            .collect();
        check_packed::<(String, String), _>(&pairs, |t| t, |(a, b)| vec![a, b]);
        check_packed::<(String, String, String), _>(&triples, |t| t, |(a, b, c)| vec![a, b, c]);
        check_packed::<String, _>(&WORDS, |t| t, |a| vec![a]);
    }

    #[test]
    fn fingerprints_tell_the_benchmark_values_apart() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000 {
            assert!(seen.insert(digest::<String>(&format!("smtp_client:source{i}->"), 0)));
        }
        assert_ne!(
            digest::<(String, String)>(("a", "bc"), 0),
            digest::<(String, String)>(("ab", "c"), 0)
        );
    }

    #[test]
    fn the_same_values_under_another_stamp_give_another_digest() {
        for values in ["", "a", "smtp_client:source7->"] {
            let digests: std::collections::HashSet<u64> = [0, 1, 2, u64::MAX, 1 << 63]
                .into_iter()
                .map(|stamp| digest::<String>(values, stamp))
                .collect();
            assert_eq!(digests.len(), 5, "{values:?}");
        }
    }
}
