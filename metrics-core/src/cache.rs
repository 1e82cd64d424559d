//! A per-thread cache of recent family lookups, so that a labeled update by `&str` touches no
//! shared memory but the metric itself: no lock, no reference count.
//!
//! Each thread keeps a small two-way set-associative table keyed by (family id, label
//! fingerprint) that holds a strong reference to the series it found. A hit is checked (its
//! type, the series' own label values, its liveness) before use, so a stale slot (a removed
//! series, a key collision) only costs a trip to the family's table. The cache keeps at most `SETS * WAYS` series alive
//! per thread after their removal, until the slots are reused or the thread exits.

use std::any::Any;
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const SETS: usize = 128;
const WAYS: usize = 2;

/// A unique id for a new family; ids are never reused, so a slot can never be mistaken for
/// another family's.
pub(crate) fn next_family_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

struct Slot {
    family: u64,
    key: u64,
    entry: Option<Arc<dyn Any + Send + Sync>>,
}

const EMPTY: Slot = Slot {
    family: 0,
    key: 0,
    entry: None,
};

struct Cache {
    sets: [[Slot; WAYS]; SETS],
}

thread_local! {
    static CACHE: RefCell<Box<Cache>> = RefCell::new(Box::new(Cache { sets: [const { [EMPTY; WAYS] }; SETS] }));
}

#[inline]
fn set_of(family: u64, key: u64) -> usize {
    ((key ^ family.wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 7) as usize % SETS
}

/// Runs `hit` on the entry this thread last cached for `(family, key)`, if there is one;
/// `hit` checks it (its type, values and liveness) and returns `None` to decline it.
#[inline]
pub(crate) fn with_cached<R>(
    family: u64,
    key: u64,
    hit: impl FnOnce(&(dyn Any + Send + Sync)) -> Option<R>,
) -> Option<R> {
    CACHE
        .try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            let slot = cache.sets[set_of(family, key)]
                .iter()
                .find(|s| s.family == family && s.key == key)?;
            hit(slot.entry.as_deref()?)
        })
        .ok()
        .flatten()
}

/// Remembers `entry` for `(family, key)` in this thread, evicting the older way of its set.
pub(crate) fn insert(family: u64, key: u64, entry: Arc<dyn Any + Send + Sync>) {
    let slot = Slot {
        family,
        key,
        entry: Some(entry),
    };
    let evicted = CACHE.try_with(|cache| {
        let mut cache = cache.try_borrow_mut().ok()?;
        let set = &mut cache.sets[set_of(family, key)];
        // Replace a slot of the same key in place; otherwise the newest goes first.
        let way = set
            .iter()
            .position(|s| s.family == family && s.key == key)
            .unwrap_or(WAYS - 1);
        let old = std::mem::replace(&mut set[way], slot);
        set[..=way].rotate_right(1);
        Some(old)
    });
    // The evicted series is dropped after the cache is released, in case its drop is heavy.
    drop(evicted);
}
