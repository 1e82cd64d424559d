//! Label sets: the values that identify one series of a family.

use std::cmp::Ordering;
use std::hash::Hash;

/// The most label keys one family can have.
pub const MAX_LABELS: usize = 8;

/// The label values of one series: a `String` for one key, a tuple of `String`s for several.
///
/// Lookups take the borrowed form [`LabelSet::Ref`] (`&str`, or a tuple of `&str`), so an update
/// of an existing series allocates nothing; the owned form is built only when a series is first
/// created.
pub trait LabelSet: Send + Sync + 'static {
    /// The borrowed form taken by lookups.
    type Ref<'a>: Copy + Hash + Eq;

    /// The number of label keys.
    const ARITY: usize;

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
