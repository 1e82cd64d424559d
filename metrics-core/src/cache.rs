//! A family's per-thread cache of recent lookups, so that a labeled update by `&str` touches no
//! shared memory but the metric itself: no lock, no reference count.
//!
//! Each thread that looks a family up by label values gets its own small four-way
//! set-associative table, keyed by a digest of the values, that holds a strong reference to the
//! series found. The family's count of removals goes into the digest, which differs for every
//! count, so that no entry found before a removal is found after it; a hit is checked against
//! the series' own label values before use, so a digest collision only costs a trip to the
//! family's table.
//! The table grows with the family, up to `MAX_SETS * WAYS` slots (1,024 series, 16 KiB per
//! thread and family); it keeps at most that many series alive per thread after their removal,
//! until the slots are reused or the family is dropped. A family larger than that has one miss
//! in `ADMIT_ONE_IN` cached.

use std::cell::RefCell;

use thread_local::ThreadLocal;

const WAYS: usize = 4;
const MIN_SETS: usize = 8;
const MAX_SETS: usize = 256;
/// Of the misses on a family with more series than a table can hold, the share cached: one in
/// this many. Lookups spread over such a family mostly miss, and each entry cached lets go of
/// another, whose reference count is then written, on a line likely out of the processor's
/// caches; a value looked up again and again is still cached after a few misses.
const ADMIT_ONE_IN: u32 = 8;

/// One set of a thread's table: `keys[way]` is the digest the entry beside it was cached under.
/// Keys and entries share one cache line, so that a lookup reads one line of the table.
#[repr(align(64))]
struct Set<T> {
    keys: [u64; WAYS],
    entries: [Option<T>; WAYS],
}

/// The set of `key` in a table of `sets` sets (a power of two): from the key's high bits, which
/// are the best mixed.
#[inline(always)]
fn set_index(key: u64, sets: usize) -> usize {
    (key >> 48) as usize & (sets - 1)
}

/// One thread's table.
struct Table<T> {
    sets: Box<[Set<T>]>,
    /// Misses offered to a full-size table of a family larger than it, for admitting one in
    /// [`ADMIT_ONE_IN`].
    offered: u32,
}

impl<T> Table<T> {
    fn with_sets(sets: usize) -> Self {
        Table {
            sets: (0..sets)
                .map(|_| Set {
                    keys: [0; WAYS],
                    entries: [const { None }; WAYS],
                })
                .collect(),
            offered: 0,
        }
    }

    #[inline]
    fn set_of(&mut self, key: u64) -> &mut Set<T> {
        let set = set_index(key, self.sets.len());
        &mut self.sets[set]
    }

    #[inline]
    fn find(&self, key: u64) -> Option<&T> {
        let set = &self.sets[set_index(key, self.sets.len())];
        let way = set.keys.iter().position(|k| *k == key)?;
        set.entries[way].as_ref()
    }
}

/// One thread's table, on cache lines of its own: its borrow flag is written by every lookup,
/// and `ThreadLocal` keeps the values of threads side by side.
#[repr(align(128))]
struct Own<T>(RefCell<Table<T>>);

/// The per-thread lookup tables of one family; `T` is a strong reference to a series.
pub(crate) struct LookupCache<T: Send + Sync> {
    threads: Box<ThreadLocal<Own<T>>>,
}

impl<T: Send + Sync> LookupCache<T> {
    pub(crate) fn new() -> Self {
        LookupCache {
            threads: Box::new(ThreadLocal::new()),
        }
    }

    /// Runs `hit` on the entry this thread cached under `key`, if there is one; `hit` checks it
    /// (its values) and returns `None` to decline it.
    #[inline]
    pub(crate) fn get<R>(&self, key: u64, hit: impl FnOnce(&T) -> Option<R>) -> Option<R> {
        let table = self.threads.get()?.0.try_borrow().ok()?;
        hit(table.find(key)?)
    }

    /// Caches the entry `entry()` gives, if any, under `key` in this thread, evicting the oldest
    /// way of its set. The table is first grown, emptied, to suit a family of `family_len`
    /// series; for a family larger than the table can ever hold, only one call in
    /// [`ADMIT_ONE_IN`] asks for its entry and caches it.
    #[cold]
    pub(crate) fn insert(&self, key: u64, entry: impl FnOnce() -> Option<T>, family_len: usize) {
        let cell = self
            .threads
            .get_or(|| Own(RefCell::new(Table::with_sets(MIN_SETS))));
        let Ok(mut table) = cell.0.try_borrow_mut() else {
            return;
        };
        let wanted = family_len.next_power_of_two().clamp(MIN_SETS, MAX_SETS);
        let outgrown = (table.sets.len() < wanted)
            .then(|| std::mem::replace(&mut *table, Table::with_sets(wanted)));
        let admitted = family_len <= MAX_SETS * WAYS || {
            table.offered = table.offered.wrapping_add(1);
            table.offered % ADMIT_ONE_IN == 0
        };
        let Some(entry) = admitted.then(entry).flatten() else {
            drop(table);
            drop(outgrown);
            return;
        };
        let set = table.set_of(key);
        // Replace a slot of the same key in place; otherwise the newest goes first.
        let way = set.keys.iter().position(|k| *k == key).unwrap_or(WAYS - 1);
        set.keys[way] = key;
        let evicted = set.entries[way].replace(entry);
        // Moved to the front by swaps: a fixed, short loop, where a rotation of the slice up
        // to `way` is two calls to `memmove`.
        for i in (0..way).rev() {
            set.keys.swap(i, i + 1);
            set.entries.swap(i, i + 1);
        }
        // Series let go of are dropped after the table is released, in case that is heavy.
        drop(table);
        drop((evicted, outgrown));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn cached(cache: &LookupCache<Arc<u32>>, key: u64) -> Option<u32> {
        cache.get(key, |v| Some(**v))
    }

    #[test]
    fn a_thread_finds_what_it_cached_and_no_other_thread_does() {
        let cache = LookupCache::new();
        assert_eq!(cached(&cache, 7), None);
        cache.insert(7, || Some(Arc::new(70)), 1);
        assert_eq!(cached(&cache, 7), Some(70));
        assert_eq!(cached(&cache, 8), None);
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(cached(&cache, 7), None));
        });
        // An entry declined by its maker is not cached.
        cache.insert(9, || None, 1);
        assert_eq!(cached(&cache, 9), None);
        // The same key again replaces its slot rather than taking a second one.
        cache.insert(7, || Some(Arc::new(71)), 1);
        assert_eq!(cached(&cache, 7), Some(71));
    }

    #[test]
    fn a_set_is_one_cache_line_and_a_table_has_lines_of_its_own() {
        // What a family caches: one pointer, `None` in its niche.
        assert_eq!(std::mem::size_of::<Set<Arc<u32>>>(), 64);
        assert_eq!(std::mem::align_of::<Set<Arc<u32>>>(), 64);
        assert_eq!(std::mem::align_of::<Own<Arc<u32>>>(), 128);
        assert_eq!(std::mem::size_of::<Own<Arc<u32>>>(), 128);
    }

    #[test]
    fn the_benchmark_values_fit_their_sets() {
        // 100 values in a table for 100 series: no set is asked to hold more than its ways, so
        // every one of them stays cached.
        let sets = 100usize.next_power_of_two();
        let mut load = vec![0; sets];
        for i in 0..100 {
            let values = format!("smtp_client:source{i}->");
            load[set_index(crate::label::digest::<String>(&values, 0), sets)] += 1;
        }
        assert!(load.iter().all(|n| *n <= WAYS), "{load:?}");
    }

    #[test]
    fn a_full_set_evicts_its_oldest_way() {
        let cache = LookupCache::new();
        // Keys that differ only above the set bits share a set.
        let key = |i: u64| 3 + (i << 20);
        let entries: Vec<_> = (0..=WAYS as u64).map(|i| Arc::new(i as u32)).collect();
        for (i, entry) in entries.iter().enumerate() {
            cache.insert(key(i as u64), || Some(Arc::clone(entry)), 1);
        }
        assert_eq!(cached(&cache, key(0)), None);
        for i in 1..=WAYS as u64 {
            assert_eq!(cached(&cache, key(i)), Some(i as u32));
        }
        // The evicted entry is let go of; the others are still held by the cache.
        assert_eq!(Arc::strong_count(&entries[0]), 1);
        assert_eq!(Arc::strong_count(&entries[1]), 2);
    }

    #[test]
    fn a_family_larger_than_the_table_has_one_miss_in_eight_cached() {
        let cache = LookupCache::new();
        let huge = MAX_SETS * WAYS + 1;
        let entries: Vec<_> = (0..16).map(Arc::new).collect();
        for (key, entry) in (1..).zip(&entries) {
            cache.insert(key, || Some(Arc::clone(entry)), huge);
        }
        let kept: Vec<u64> = (1..=16).filter(|k| cached(&cache, *k).is_some()).collect();
        assert_eq!(kept, [8, 16]);
        // The entries of the others were never asked for.
        assert_eq!(Arc::strong_count(&entries[0]), 1);
        assert_eq!(Arc::strong_count(&entries[7]), 2);
        // A family that fits caches every miss.
        cache.insert(100, || Some(Arc::new(100)), MAX_SETS * WAYS);
        assert_eq!(cached(&cache, 100), Some(100));
    }

    #[test]
    fn the_table_grows_with_the_family_and_stops_at_its_bound() {
        let cache = LookupCache::new();
        cache.insert(1, || Some(Arc::new(1)), 1);
        let sets = || cache.threads.get().unwrap().0.borrow().sets.len();
        assert_eq!(sets(), MIN_SETS);
        cache.insert(2, || Some(Arc::new(2)), 100);
        assert_eq!(sets(), 128);
        // Growing empties the table; what is cached after it is found.
        assert_eq!(cached(&cache, 1), None);
        assert_eq!(cached(&cache, 2), Some(2));
        cache.insert(3, || Some(Arc::new(3)), 1_000_000);
        assert_eq!(sets(), MAX_SETS);
        cache.insert(4, || Some(Arc::new(4)), 10);
        assert_eq!(sets(), MAX_SETS, "a table never shrinks");
    }
}
