//! The monotonic counter.

use std::sync::atomic::{AtomicU64, Ordering};

/// A count that only goes up, such as the number of messages delivered.
///
/// Every operation is one relaxed atomic instruction. The total wraps around at `u64::MAX`
/// (after 584 years at a billion increments a second).
#[derive(Debug, Default)]
pub struct Counter {
    value: AtomicU64,
}

impl Counter {
    /// Creates a counter at zero.
    pub const fn new() -> Self {
        Counter {
            value: AtomicU64::new(0),
        }
    }

    /// Adds one to the counter.
    #[inline]
    pub fn inc(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n` to the counter.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// Returns the current total.
    #[inline]
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}
