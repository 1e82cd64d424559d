//! Addition to an `f64` kept as its bits in an `AtomicU64`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Adds `v` to the `f64` kept as bits in `atomic`, by compare-and-swap: no `f64` addition is
/// one instruction. A failed swap retries from the value it found, so no addition is lost.
#[inline]
pub(crate) fn add_f64(atomic: &AtomicU64, v: f64) {
    let mut old = atomic.load(Ordering::Relaxed);
    loop {
        let new = (f64::from_bits(old) + v).to_bits();
        match atomic.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(found) => old = found,
        }
    }
}
