//! The gauge: a value that goes up and down.

use std::sync::atomic::{AtomicI64, Ordering};

/// A value that can be set, raised and lowered, such as the number of open connections.
///
/// Every operation is one relaxed atomic instruction. `add`, `sub`, `inc` and `dec` wrap around
/// at the ends of `i64`, like the atomic they are built on.
#[derive(Debug, Default)]
pub struct Gauge {
    value: AtomicI64,
}

impl Gauge {
    /// Creates a gauge at zero.
    pub const fn new() -> Self {
        Gauge {
            value: AtomicI64::new(0),
        }
    }

    /// Sets the gauge to `v`.
    #[inline]
    pub fn set(&self, v: i64) {
        self.value.store(v, Ordering::Relaxed);
    }

    /// Adds one to the gauge.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one from the gauge.
    #[inline]
    pub fn dec(&self) {
        self.sub(1);
    }

    /// Adds `n` to the gauge.
    #[inline]
    pub fn add(&self, n: i64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// Subtracts `n` from the gauge.
    #[inline]
    pub fn sub(&self, n: i64) {
        self.value.fetch_sub(n, Ordering::Relaxed);
    }

    /// Returns the current value.
    #[inline]
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}
