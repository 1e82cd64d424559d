//! A counter for many-thread hot spots: one slot per thread group, each on its own cache line.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// One slot, alone on its cache line pair (adjacent-line prefetch pulls lines in twos).
#[repr(align(128))]
#[derive(Default)]
struct Slot(AtomicU64);

/// A counter that threads increment without contending: each thread adds to its own slot, and an
/// export sums them.
///
/// Use it for a counter that many threads bump at once (the same plain [`Counter`](crate::Counter)
/// would bounce its cache line between cores on every increment). It costs 128 bytes per slot
/// and one slot per thread up to twice the number of cores (at most 64); reading it adds the
/// slots up.
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

/// The slot number of this thread, handed out in turn.
fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    SLOT.with(|slot| {
        let mut n = slot.get();
        if n == usize::MAX {
            n = NEXT.fetch_add(1, Ordering::Relaxed);
            slot.set(n);
        }
        n
    })
}

impl ShardedCounter {
    /// Creates a counter at zero.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
        let slots = (cores * 2).next_power_of_two().clamp(2, 64);
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
