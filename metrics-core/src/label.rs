//! Label sets: the values that identify one series of a family.

use std::cmp::Ordering;
use std::hash::{BuildHasher, Hash, Hasher};

/// The most label keys one family can have.
pub const MAX_LABELS: usize = 8;

/// The value a full family gives new label values: see `#[metric(max_series = N)]`.
pub const OVERFLOW_LABEL_VALUE: &str = "__overflow__";

/// The label values of one series: a `String` for one key, a tuple of `String`s for several, or
/// an enum deriving `LabelValue`.
///
/// Lookups take the borrowed form [`LabelSet::Ref`] (`&str`, or a tuple of `&str`), so an update
/// of an existing series allocates nothing; the owned form is built only when a series is first
/// created.
pub trait LabelSet: Send + Sync + 'static {
    /// The borrowed form taken by lookups.
    type Ref<'a>: Copy;

    /// The number of label keys.
    const ARITY: usize;

    /// For a label type with a fixed set of values (an enum deriving `LabelValue`), how many
    /// there are: its families keep one slot per value and never hash.
    const CARDINALITY: Option<usize> = None;

    /// Feeds the borrowed values to a hasher; equal values must hash equally, owned or not.
    fn hash_values<H: Hasher>(values: Self::Ref<'_>, state: &mut H);

    /// A quick unkeyed digest of the values for the per-thread lookup cache, where a collision
    /// only costs a cache miss (the values are compared before a hit is used).
    fn fingerprint(values: Self::Ref<'_>) -> u64 {
        let mut state = foldhash::fast::FixedState::with_seed(0).build_hasher();
        Self::hash_values(values, &mut state);
        state.finish()
    }

    /// The slot of these values, below [`Self::CARDINALITY`], for fixed-cardinality types.
    fn dense_index(values: Self::Ref<'_>) -> usize {
        let _ = values;
        0
    }

    /// The owned values of slot `index`, for fixed-cardinality types.
    fn from_dense_index(index: usize) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = index;
        None
    }

    /// The values that stand for every new series once a family is full
    /// ([`OVERFLOW_LABEL_VALUE`] for each key), or `None` for fixed-cardinality types, whose
    /// families cannot fill up.
    fn overflow<'a>() -> Option<Self::Ref<'a>>;

    /// Borrows the values. Hashing and comparing go through this form, owned or not.
    fn borrow_values(&self) -> Self::Ref<'_>;

    /// Whether these are the values `values` borrows (`borrow_values() == values`, spelled out
    /// because a generic associated type cannot be compared across lifetimes).
    fn matches(&self, values: Self::Ref<'_>) -> bool;

    /// Builds the owned values of a new series.
    fn from_ref(values: Self::Ref<'_>) -> Self;

    /// The value of the `i`-th key, for `i < ARITY`.
    fn value(&self, i: usize) -> &str;
}

impl LabelSet for String {
    type Ref<'a> = &'a str;
    const ARITY: usize = 1;

    #[inline]
    fn hash_values<H: Hasher>(values: &str, state: &mut H) {
        values.hash(state);
    }

    fn overflow<'a>() -> Option<&'a str> {
        Some(OVERFLOW_LABEL_VALUE)
    }

    #[inline]
    fn borrow_values(&self) -> &str {
        self
    }

    #[inline]
    fn matches(&self, values: &str) -> bool {
        bytes_eq(self.as_bytes(), values.as_bytes())
    }

    #[inline]
    fn fingerprint(values: &str) -> u64 {
        fingerprint(values.as_bytes(), 0)
    }

    fn from_ref(values: &str) -> Self {
        values.to_owned()
    }

    #[inline]
    fn value(&self, _: usize) -> &str {
        self
    }
}

macro_rules! tuple_label_set {
    ($n:expr; $($i:tt $t:ident),+) => {
        impl LabelSet for ($($t,)+) {
            type Ref<'a> = ($(tuple_label_set!(@str 'a $t),)+);
            const ARITY: usize = $n;

            #[inline]
            fn hash_values<H: Hasher>(values: Self::Ref<'_>, state: &mut H) {
                values.hash(state);
            }

            fn overflow<'a>() -> Option<Self::Ref<'a>> {
                Some(($(tuple_label_set!(@overflow $t),)+))
            }

            #[inline]
            fn borrow_values(&self) -> Self::Ref<'_> {
                ($(self.$i.as_str(),)+)
            }

            #[inline]
            fn matches(&self, values: Self::Ref<'_>) -> bool {
                $(bytes_eq(self.$i.as_bytes(), values.$i.as_bytes()))&&+
            }

            #[inline]
            fn fingerprint(values: Self::Ref<'_>) -> u64 {
                let mut h = 0;
                $(h = fingerprint(values.$i.as_bytes(), h);)+
                h
            }

            fn from_ref(values: Self::Ref<'_>) -> Self {
                ($(values.$i.to_owned(),)+)
            }

            #[inline]
            fn value(&self, i: usize) -> &str {
                match i {
                    $($i => &self.$i,)+
                    _ => "",
                }
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
/// apart: the last eight bytes, overlapping the word before, when there are eight; else pieces.
#[inline(always)]
fn tail(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let half = |at: usize| match bytes[at..].first_chunk::<4>() {
        Some(w) => u64::from(u32::from_le_bytes(*w)),
        None => 0,
    };
    match n {
        8.. => word(bytes, n - 8),
        4..=7 => half(0) | (half(n - 4) << 32),
        1..=3 => {
            u64::from(bytes[0]) | (u64::from(bytes[n / 2]) << 8) | (u64::from(bytes[n - 1]) << 16)
        }
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

/// A fast unkeyed digest of `bytes`, chained from `seed`: words folded by rotate and xor, then
/// one multiply. Weak against chosen inputs, which is fine where a collision only costs a miss.
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
    let h = (h ^ (h >> 31)).wrapping_mul(MIX);
    h ^ (h >> 32)
}

/// Byte equality inlined for the short strings labels are, rather than a call to `memcmp`.
#[inline]
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

/// Orders two label sets by their values, key by key, as the output formats list series.
pub(crate) fn compare<L: LabelSet>(a: &L, b: &L) -> Ordering {
    (0..L::ARITY)
        .map(|i| a.value(i).cmp(b.value(i)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Calls `f` with the values of `labels` as a slice, without allocating.
#[inline]
pub(crate) fn with_values<L: LabelSet, R>(labels: &L, f: impl FnOnce(&[&str]) -> R) -> R {
    let mut values = [""; MAX_LABELS];
    for (i, v) in values.iter_mut().enumerate().take(L::ARITY) {
        *v = labels.value(i);
    }
    f(&values[..L::ARITY])
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

    #[test]
    fn fingerprints_tell_the_benchmark_values_apart() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..10_000 {
            assert!(seen.insert(String::fingerprint(&format!("smtp_client:source{i}->"))));
        }
        assert_ne!(
            <(String, String)>::fingerprint(("a", "bc")),
            <(String, String)>::fingerprint(("ab", "c"))
        );
    }
}
