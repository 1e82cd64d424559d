//! The monotonic counter.

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
}

impl<V: CounterValue> Default for Counter<V> {
    fn default() -> Self {
        Counter::new()
    }
}
