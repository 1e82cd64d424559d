//! The info metric: facts about the process as the labels of one series.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use crate::label::{self, LabelSet};

/// Facts about the program, such as its version and build, as the labels of one series whose
/// value is 1: `build_info{version="1.2.0",commit="8a4f"} 1`.
///
/// OpenMetrics writes it as type `info`; the Prometheus text format, which has no such type, as
/// a gauge of value 1 under the same name (the name with `_info`, added unless it is already
/// there). In `/metrics.json` its value is an object of its labels,
/// `"build":{"help":"...","type":"info","value":{"version":"1.2.0","commit":"8a4f"}}`, or
/// `null` until it is set.
///
/// ```
/// use meterstick_core::Info;
///
/// let build: Info<(String, String)> = Info::new();
/// build.set(("1.2.0", "8a4f"));
/// assert_eq!(build.get(), Some(vec!["1.2.0".to_owned(), "8a4f".to_owned()]));
/// ```
pub struct Info<L: LabelSet = String> {
    /// The label values as a family's series keeps them, or `None` before the first `set`.
    packed: Mutex<Option<Arc<[u8]>>>,
    labels: PhantomData<fn() -> L>,
}

impl<L: LabelSet> Info<L> {
    /// Creates an info metric with no value yet: nothing is exported until [`Info::set`].
    pub const fn new() -> Self {
        Info {
            packed: Mutex::new(None),
            labels: PhantomData,
        }
    }

    /// Replaces the label values.
    pub fn set(&self, labels: L::Ref<'_>) {
        let packed: Arc<[u8]> = label::with_packed::<L, _>(labels, |p| Arc::from(p));
        let old = self
            .packed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(packed);
        drop(old);
    }

    /// The label values, in the order of the keys, or `None` before the first `set`.
    pub fn get(&self) -> Option<Vec<String>> {
        let packed = self.packed()?;
        Some(label::with_values::<L, _>(&packed, |values| {
            values.iter().map(|v| (*v).to_owned()).collect()
        }))
    }

    /// The label values as kept, taken out of the lock.
    pub(crate) fn packed(&self) -> Option<Arc<[u8]>> {
        self.packed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl<L: LabelSet> Default for Info<L> {
    fn default() -> Self {
        Info::new()
    }
}

impl<L: LabelSet> fmt::Debug for Info<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Info").field("labels", &self.get()).finish()
    }
}
