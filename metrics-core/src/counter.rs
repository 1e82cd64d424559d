//! The monotonic counter.

use std::sync::Arc;

use crate::error::ExemplarError;
use crate::exemplar::{self, Exemplar};
use crate::value::CounterValue;

/// A count that only goes up, such as the number of messages delivered: `Counter` (of `u64`)
/// or `Counter<f64>`, such as CPU seconds.
///
/// Every operation on a `Counter<u64>` is one relaxed atomic instruction; its total wraps
/// around at `u64::MAX` (after 584 years at a billion increments a second). A `Counter<f64>`
/// adds by compare-and-swap and ignores an increment that is negative or NaN, so it never goes
/// down.
///
/// ```
/// use meterstick_core::Counter;
///
/// let cpu: Counter<f64> = Counter::new();
/// cpu.inc_by(0.25);
/// cpu.inc_by(-1.0); // ignored
/// assert_eq!(cpu.get(), 0.25);
/// ```
#[derive(Debug)]
pub struct Counter<V: CounterValue = u64> {
    value: V::Atomic,
}

impl<V: CounterValue> Counter<V> {
    /// Creates a counter at zero.
    pub const fn new() -> Self {
        Counter { value: V::ZERO }
    }

    /// Adds one to the counter.
    #[inline]
    pub fn inc(&self) {
        V::increase(&self.value, V::ONE);
    }

    /// Adds `n` to the counter (for `f64`, only an `n` of at least zero).
    #[inline]
    pub fn inc_by(&self, n: V) {
        V::increase(&self.value, n);
    }

    /// Returns the current total.
    #[inline]
    pub fn get(&self) -> V {
        V::load(&self.value)
    }

    /// Adds one and keeps `labels` (such as `[("trace_id", id)]`) as the counter's latest
    /// exemplar, with the time and a value of 1. OpenMetrics and the protobuf format write it
    /// beside the total.
    ///
    /// The increment is always counted. The exemplar is refused, and the one before kept, when
    /// the label names and values take more than 128 characters together (OpenMetrics's limit)
    /// or a name is not a valid label name.
    ///
    /// ```
    /// use meterstick_core::Counter;
    ///
    /// let requests: Counter = Counter::new();
    /// requests.inc_with_exemplar(&[("trace_id", "4bf92f3577b34da6")]).unwrap();
    /// assert!(requests.inc_with_exemplar(&[("trace_id", &"x".repeat(200))]).is_err());
    /// assert_eq!(requests.get(), 2);
    /// assert_eq!(requests.exemplar().unwrap().labels().next(), Some(("trace_id", "4bf92f3577b34da6")));
    /// ```
    pub fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        self.inc_by_with_exemplar(V::ONE, labels)
    }

    /// Adds `n` and keeps `labels` as the latest exemplar, of value `n`: see
    /// [`Counter::inc_with_exemplar`]. For `f64`, an `n` that [`Counter::inc_by`] ignores
    /// leaves the exemplar as it was.
    pub fn inc_by_with_exemplar(&self, n: V, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        V::increase(&self.value, n);
        match V::exemplar_value(n) {
            Some(value) => exemplar::record(self.address(), 0, 1, value, labels),
            None => Ok(()),
        }
    }

    /// The latest exemplar, if the counter has had one.
    ///
    /// An exemplar belongs to the counter where it was given: a counter moved to another place
    /// afterwards (before it is registered, say) starts there without one.
    pub fn exemplar(&self) -> Option<Arc<Exemplar>> {
        exemplar::latest(self.address(), 0)
    }

    /// Forgets any exemplar kept under this counter's address.
    #[inline]
    pub(crate) fn forget_exemplars(&self) {
        exemplar::forget(self.address());
    }

    fn address(&self) -> usize {
        self as *const Self as usize
    }
}

impl<V: CounterValue> Drop for Counter<V> {
    #[inline]
    fn drop(&mut self) {
        exemplar::forget(self.address());
    }
}

impl<V: CounterValue> Default for Counter<V> {
    fn default() -> Self {
        Counter::new()
    }
}
