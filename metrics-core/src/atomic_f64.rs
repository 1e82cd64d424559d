//! Addition to an `f64` kept as its bits in an `AtomicU64`.

use std::sync::atomic::{AtomicU64, Ordering};

/// What the addition needs of the atomic: the standard one, or loom's in its models.
pub(crate) trait Bits {
    fn load(&self) -> u64;
    fn swap_if(&self, old: u64, new: u64) -> Result<u64, u64>;
}

impl Bits for AtomicU64 {
    #[inline]
    fn load(&self) -> u64 {
        AtomicU64::load(self, Ordering::Relaxed)
    }

    #[inline]
    fn swap_if(&self, old: u64, new: u64) -> Result<u64, u64> {
        self.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed)
    }
}

/// Adds `v` to the `f64` kept as bits in `atomic`, by compare-and-swap: no `f64` addition is
/// one instruction. A failed swap retries from the value it found, so no addition is lost.
#[inline]
pub(crate) fn add_f64(atomic: &impl Bits, v: f64) {
    let mut old = atomic.load();
    loop {
        let new = (f64::from_bits(old) + v).to_bits();
        match atomic.swap_if(old, new) {
            Ok(_) => return,
            Err(found) => old = found,
        }
    }
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicU64 as LoomU64;

    impl Bits for LoomU64 {
        fn load(&self) -> u64 {
            LoomU64::load(self, loom::sync::atomic::Ordering::Relaxed)
        }

        fn swap_if(&self, old: u64, new: u64) -> Result<u64, u64> {
            self.compare_exchange_weak(
                old,
                new,
                loom::sync::atomic::Ordering::Relaxed,
                loom::sync::atomic::Ordering::Relaxed,
            )
        }
    }

    /// Two threads add to one float: every interleaving ends with both additions applied
    /// once. (A store racing an addition is left to the threaded test in `tests/model.rs`:
    /// loom reports impossible histories for a store racing a read-modify-write loop, its open
    /// issue tokio-rs/loom#254.)
    #[test]
    fn loom_float_additions_race_and_lose_nothing() {
        loom::model(|| {
            let value = Arc::new(LoomU64::new(0.5f64.to_bits()));
            let adders: Vec<_> = [0.25, 2.0]
                .into_iter()
                .map(|v| {
                    let value = Arc::clone(&value);
                    loom::thread::spawn(move || add_f64(&*value, v))
                })
                .collect();
            for adder in adders {
                adder.join().unwrap();
            }
            let total = f64::from_bits(Bits::load(&*value));
            assert_eq!(total, 2.75);
        });
    }
}
