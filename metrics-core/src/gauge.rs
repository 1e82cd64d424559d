//! The gauge: a value that goes up and down.

use crate::value::GaugeValue;

/// A value that can be set, raised and lowered, such as the number of open connections:
/// `Gauge` (of `i64`) or `Gauge<f64>`, such as a load average.
///
/// On a `Gauge<i64>` every operation is one relaxed atomic instruction; `add`, `sub`, `inc` and
/// `dec` wrap around at the ends of `i64`, like the atomic they are built on. A `Gauge<f64>`
/// keeps the bits of its value in an `AtomicU64`: `set` and `get` are one instruction, `add`
/// and `sub` a compare-and-swap loop.
///
/// ```
/// use meterstick_core::Gauge;
///
/// let load: Gauge<f64> = Gauge::new();
/// load.set(0.5);
/// load.add(0.25);
/// assert_eq!(load.get(), 0.75);
/// ```
#[derive(Debug)]
pub struct Gauge<V: GaugeValue = i64> {
    value: V::Atomic,
}

impl<V: GaugeValue> Gauge<V> {
    /// Creates a gauge at zero.
    pub const fn new() -> Self {
        Gauge { value: V::ZERO }
    }

    /// Sets the gauge to `v`.
    #[inline]
    pub fn set(&self, v: V) {
        V::store(&self.value, v);
    }

    /// Adds one to the gauge.
    #[inline]
    pub fn inc(&self) {
        V::add(&self.value, V::ONE);
    }

    /// Subtracts one from the gauge.
    #[inline]
    pub fn dec(&self) {
        V::sub(&self.value, V::ONE);
    }

    /// Adds `n` to the gauge.
    #[inline]
    pub fn add(&self, n: V) {
        V::add(&self.value, n);
    }

    /// Subtracts `n` from the gauge.
    #[inline]
    pub fn sub(&self, n: V) {
        V::sub(&self.value, n);
    }

    /// Returns the current value.
    #[inline]
    pub fn get(&self) -> V {
        V::load(&self.value)
    }
}

impl<V: GaugeValue> Default for Gauge<V> {
    fn default() -> Self {
        Gauge::new()
    }
}
