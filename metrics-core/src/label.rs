//! Label sets: the values that identify one series of a family.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

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
        self == values
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
                $(self.$i == values.$i)&&+
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
