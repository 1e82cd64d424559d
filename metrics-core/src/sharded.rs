//! A counter for many-thread hot spots: one slot per thread group, each on its own cache line.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// One slot, alone on its cache line pair (adjacent-line prefetch pulls lines in twos).
#[repr(align(128))]
#[derive(Default)]
struct Slot(AtomicU64);

/// A counter that threads increment without contending: each thread adds to its own slot, and an
/// export sums them.
///
/// Use it for a counter that many threads bump at once (the same plain [`Counter`](crate::Counter)
/// would bounce its cache line between cores on every increment). Each live thread has its own
/// slot number, so threads share a slot only when there are more of them than slots (four per
/// core, from 8 to 64); a slot is 128 bytes. Reading the counter adds the slots up.
///
/// ```
/// let requests = meterstick_core::ShardedCounter::new();
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| (0..1000).for_each(|_| requests.inc()));
///     }
/// });
/// assert_eq!(requests.get(), 4000);
/// ```
pub struct ShardedCounter {
    slots: Box<[Slot]>,
}

/// Slot numbers given back by threads that have exited, to hand out again first.
static FREE: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// This thread's slot number: the smallest free one, so that live threads hold distinct numbers
/// and never share a slot while there are no more threads than slots.
struct ThreadSlot(usize);

impl ThreadSlot {
    fn take() -> Self {
        let free = FREE.lock().unwrap_or_else(PoisonError::into_inner).pop();
        ThreadSlot(free.unwrap_or_else(|| NEXT.fetch_add(1, Ordering::Relaxed)))
    }
}

impl Drop for ThreadSlot {
    fn drop(&mut self) {
        FREE.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(self.0);
    }
}

thread_local! {
    static SLOT: ThreadSlot = ThreadSlot::take();
}

#[inline]
fn thread_slot() -> usize {
    // During thread teardown the slot may be gone; any slot is correct, only slower.
    SLOT.try_with(|slot| slot.0).unwrap_or(0)
}

impl ShardedCounter {
    /// Creates a counter at zero.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
        let slots = (cores * 4).next_power_of_two().clamp(8, 64);
        ShardedCounter {
            slots: (0..slots).map(|_| Slot::default()).collect(),
        }
    }

    #[inline]
    fn slot(&self) -> &AtomicU64 {
        // The slot count is a power of two.
        &self.slots[thread_slot() & (self.slots.len() - 1)].0
    }

    /// Adds one to the counter.
    #[inline]
    pub fn inc(&self) {
        self.slot().fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n` to the counter.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.slot().fetch_add(n, Ordering::Relaxed);
    }

    /// The total: the sum of the slots.
    pub fn get(&self) -> u64 {
        self.slots
            .iter()
            .fold(0u64, |sum, s| sum.wrapping_add(s.0.load(Ordering::Relaxed)))
    }
}

impl Default for ShardedCounter {
    fn default() -> Self {
        ShardedCounter::new()
    }
}

impl fmt::Debug for ShardedCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShardedCounter")
            .field("value", &self.get())
            .field("slots", &self.slots.len())
            .finish()
    }
}
