//! The per-thread cache of recent lookups, so that a labeled update by `&str` touches no shared
//! memory but the metric itself: no lock, no reference count.
//!
//! Each thread has a small four-way set-associative table per metric type (`Counter`, `Gauge`,
//! `Histogram`, `ShardedCounter`), shared by every family of that type and reached as a
//! `thread_local!` static, with no lookup of its own. An entry is keyed by a digest of the label
//! values and holds a strong reference to the series found. The digest takes in the family's
//! stamp, a number no other family and no earlier state of the same family has had (a family
//! takes a new one at each removal), so that no entry is ever found by another family, nor
//! after a removal from its own; a hit is checked against the series' own label values before
//! use, so a digest collision only costs a trip to the family's table.
//!
//! A table grows, emptied, to suit the largest family looked up through it and whenever it has
//! let go of as many entries as it has sets, up to `MAX_SETS * WAYS` slots (4,096 series,
//! 64 KiB per thread). It keeps the series it holds alive after their removal until the slots
//! are reused, and after their family's drop until its next insert, which frees them. A family
//! larger than a full-size table has one miss in `ADMIT_ONE_IN` cached.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::LocalKey;

const WAYS: usize = 4;
const MIN_SETS: usize = 8;
const MAX_SETS: usize = 1024;
/// Of the misses on a family with more series than a table can hold, the share cached: one in
/// this many. Lookups spread over such a family mostly miss, and each entry cached lets go of
/// another, whose reference count is then written, on a line likely out of the processor's
/// caches; a value looked up again and again is still cached after a few misses.
const ADMIT_ONE_IN: u32 = 8;

/// What a table caches: a strong reference to a series.
pub(crate) trait Cached {
    /// Whether no other reference to the series exists: its family let go of it, so that no
    /// lookup can find it again.
    fn only_here(&self) -> bool;
}

/// Counts the drops of labeled families, whose series tables may hold. A table that sees it
/// changed drops the entries only it holds at its next insert.
static LET_GO: AtomicU64 = AtomicU64::new(0);

/// Tells every thread's table that a family was dropped.
pub(crate) fn let_go() {
    LET_GO.fetch_add(1, Ordering::Relaxed);
}

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
    (key >> 48) as usize & sets.wrapping_sub(1)
}

/// One thread's table; empty until its first insert.
struct Table<T> {
    sets: Vec<Set<T>>,
    /// Misses offered to a full-size table of a family larger than it, for admitting one in
    /// [`ADMIT_ONE_IN`].
    offered: u32,
    /// Entries let go of to make room since the table last grew.
    evicted: usize,
    /// The count of [`LET_GO`] when the table last dropped the entries only it held.
    seen: u64,
}

impl<T> Table<T> {
    const fn new() -> Self {
        Table {
            sets: Vec::new(),
            offered: 0,
            evicted: 0,
            seen: 0,
        }
    }

    fn with_sets(sets: usize) -> Self {
        Table {
            sets: (0..sets)
                .map(|_| Set {
                    keys: [0; WAYS],
                    entries: [const { None }; WAYS],
                })
                .collect(),
            offered: 0,
            evicted: 0,
            seen: LET_GO.load(Ordering::Relaxed),
        }
    }

    #[inline]
    fn set_of(&mut self, key: u64) -> &mut Set<T> {
        let set = set_index(key, self.sets.len());
        &mut self.sets[set]
    }

    #[inline]
    fn find(&self, key: u64) -> Option<&T> {
        // An empty table has no set: the mask of zero sets takes every bit, and `get` fails.
        let set = self.sets.get(set_index(key, self.sets.len()))?;
        let way = set.keys.iter().position(|k| *k == key)?;
        set.entries[way].as_ref()
    }
}

impl<T: Cached> Table<T> {
    /// Drops the entries whose series only the table holds, if a family was dropped since the
    /// last look: so that a dropped family's series are freed, not kept until their slots are
    /// reused. (Removed series held this way go too.)
    fn drop_orphans(&mut self) {
        let now = LET_GO.load(Ordering::Relaxed);
        if self.seen == now {
            return;
        }
        self.seen = now;
        for set in &mut self.sets {
            for entry in &mut set.entries {
                if entry.as_ref().is_some_and(T::only_here) {
                    *entry = None;
                }
            }
        }
    }
}

/// A thread's table shared by the families of one metric type, held in a `thread_local!`
/// static (the `thread_table` of each metric type's sealed trait, in `metric.rs`).
pub struct ThreadTable<T>(RefCell<Table<T>>);

impl<T> ThreadTable<T> {
    /// An empty table, for a `const` thread-local initializer.
    pub const fn new() -> Self {
        ThreadTable(RefCell::new(Table::new()))
    }
}

#[cfg(test)]
impl<T> ThreadTable<T> {
    /// How many entries of this thread's table `f` accepts.
    pub(crate) fn count(&self, f: impl Fn(&T) -> bool) -> usize {
        let table = self.0.borrow();
        table
            .sets
            .iter()
            .flat_map(|s| s.entries.iter().flatten())
            .filter(|e| f(e))
            .count()
    }
}

impl<T> Default for ThreadTable<T> {
    fn default() -> Self {
        ThreadTable::new()
    }
}

/// The tables a metric type shares between its families: a `thread_local!` static.
pub(crate) type Tables<T> = &'static LocalKey<ThreadTable<T>>;

/// Runs `hit` on the entry this thread cached under `key` in `tables`, if there is one; `hit`
/// checks it (its values) and returns `None` to decline it.
///
/// Only the table's address is taken inside `LocalKey::try_with`; the lookup and `hit` run
/// after it. With the lookup inside its closure, `try_with` grew past what the compiler inlines
/// once a program updated a family of one type from more than one place, and every labeled
/// update paid a call and 2-4 ns more (the benches, with one such place, did not show it).
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn get<T, R>(
    tables: Tables<T>,
    key: u64,
    hit: impl FnOnce(&T) -> Option<R>,
) -> Option<R> {
    // Fails only while the thread is being torn down: a miss.
    let table: *const RefCell<Table<T>> = tables.try_with(|t| &raw const t.0).ok()?;
    // SAFETY: `try_with` succeeded, so this thread's value is alive, and it stays alive until
    // the thread runs its thread-local destructors, which this call, running on the thread,
    // outlives: they run one after the other on the thread itself, and `hit` (a label check
    // and a metric's atomic operation, never user code) cannot end the thread or start one.
    // The value is never moved, and only this thread reaches it; the `RefCell` keeps a
    // reentrant insert from changing the table under the entry `hit` reads.
    let table = unsafe { &*table };
    hit(table.try_borrow().ok()?.find(key)?)
}

/// Caches the entry `entry()` gives, if any, under `key` in this thread's table of `tables`,
/// evicting the oldest way of its set. For a family larger than the table can ever hold, only
/// one call in [`ADMIT_ONE_IN`] goes on; the others return at once and change nothing. A call
/// that goes on first grows the table, emptied, to suit a family of `family_len` series, then
/// asks for the entry.
#[cold]
pub(crate) fn insert<T: Cached>(
    tables: Tables<T>,
    key: u64,
    entry: impl FnOnce() -> Option<T>,
    family_len: usize,
) {
    let _ = tables.try_with(|t| insert_into(&t.0, key, entry, family_len));
}

fn insert_into<T: Cached>(
    cell: &RefCell<Table<T>>,
    key: u64,
    entry: impl FnOnce() -> Option<T>,
    family_len: usize,
) {
    let Ok(mut table) = cell.try_borrow_mut() else {
        return;
    };
    // Turned away first, before any other work: on a family larger than the table, most
    // lookups miss and come here.
    if family_len > MAX_SETS * WAYS {
        table.offered = table.offered.wrapping_add(1);
        if table.offered % ADMIT_ONE_IN != 0 {
            return;
        }
    }
    table.drop_orphans();
    let sets = table.sets.len();
    let mut wanted = family_len.next_power_of_two().clamp(MIN_SETS, MAX_SETS);
    // Families sharing the table crowd each other out: more room once as many entries have
    // been let go of as there are sets.
    if table.evicted >= sets {
        wanted = wanted.max((sets * 2).min(MAX_SETS));
    }
    let outgrown =
        (sets < wanted).then(|| std::mem::replace(&mut *table, Table::with_sets(wanted)));
    let Some(entry) = entry() else {
        drop(table);
        drop(outgrown);
        return;
    };
    let set = table.set_of(key);
    // Replace a slot of the same key in place; otherwise the newest goes first.
    let same = set.keys.iter().position(|k| *k == key);
    let way = same.unwrap_or(WAYS - 1);
    set.keys[way] = key;
    let evicted = set.entries[way].replace(entry);
    // Moved to the front by swaps: a fixed, short loop, where a rotation of the slice up to
    // `way` is two calls to `memmove`.
    for i in (0..way).rev() {
        set.keys.swap(i, i + 1);
        set.entries.swap(i, i + 1);
    }
    if same.is_none() && evicted.is_some() {
        table.evicted += 1;
    }
    // Series let go of are dropped after the table is released, in case that is heavy.
    drop(table);
    drop((evicted, outgrown));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    std::thread_local! {
        static TABLE: ThreadTable<Arc<u32>> = const { ThreadTable::new() };
    }

    impl Cached for Arc<u32> {
        fn only_here(&self) -> bool {
            Arc::strong_count(self) == 1
        }
    }

    /// A family's view of the thread's shared `TABLE`.
    struct Tested {
        tables: Tables<Arc<u32>>,
    }

    impl Tested {
        fn cached(&self, key: u64) -> Option<u32> {
            get(self.tables, key, |v| Some(**v))
        }

        fn insert(&self, key: u64, entry: impl FnOnce() -> Option<Arc<u32>>, family_len: usize) {
            insert(self.tables, key, entry, family_len)
        }

        fn sets(&self) -> usize {
            self.tables.with(|t| t.0.borrow().sets.len())
        }
    }

    /// Runs `test` on the thread's shared table, empty at first (each test has a thread of its
    /// own).
    fn each_kind(test: impl Fn(&Tested)) {
        test(&Tested { tables: &TABLE });
    }

    #[test]
    fn a_thread_finds_what_it_cached_and_no_other_thread_does() {
        each_kind(|cache| {
            assert_eq!(cache.cached(7), None);
            cache.insert(7, || Some(Arc::new(70)), 1);
            assert_eq!(cache.cached(7), Some(70));
            assert_eq!(cache.cached(8), None);
            std::thread::scope(|s| {
                s.spawn(|| assert_eq!(cache.cached(7), None));
            });
            // An entry declined by its maker is not cached.
            cache.insert(9, || None, 1);
            assert_eq!(cache.cached(9), None);
            // The same key again replaces its slot rather than taking a second one.
            cache.insert(7, || Some(Arc::new(71)), 1);
            assert_eq!(cache.cached(7), Some(71));
        });
    }

    #[test]
    fn families_sharing_a_table_find_each_others_keys() {
        insert(&TABLE, 5, || Some(Arc::new(50)), 1);
        // Keys tell families apart (the family's stamp is in them), not the table.
        assert_eq!(get(&TABLE, 5, |v| Some(**v)), Some(50));
    }

    #[test]
    fn entries_only_the_table_holds_go_at_the_next_insert_after_a_family_is_dropped() {
        each_kind(|cache| {
            let kept = Arc::new(1);
            let orphan = Arc::new(2);
            let weak = Arc::downgrade(&orphan);
            cache.insert(1, || Some(Arc::clone(&kept)), 1);
            cache.insert(2, || Some(orphan), 1);
            let_go();
            assert_eq!(cache.cached(2), Some(2), "a lookup does not look");
            cache.insert(4, || Some(Arc::new(4)), 1);
            assert!(weak.upgrade().is_none(), "the orphan is freed");
            assert_eq!(cache.cached(2), None);
            // Entries held elsewhere stay; so does the one just cached.
            assert_eq!(cache.cached(1), Some(1));
            assert_eq!(cache.cached(4), Some(4));
        });
    }

    #[test]
    fn a_set_is_one_cache_line() {
        // What a family caches: one pointer, `None` in its niche.
        assert_eq!(std::mem::size_of::<Set<Arc<u32>>>(), 64);
        assert_eq!(std::mem::align_of::<Set<Arc<u32>>>(), 64);
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
        each_kind(|cache| {
            // Keys that differ only above the set bits share a set.
            let key = |i: u64| 3 + (i << 20);
            let entries: Vec<_> = (0..=WAYS as u64).map(|i| Arc::new(i as u32)).collect();
            for (i, entry) in entries.iter().enumerate() {
                cache.insert(key(i as u64), || Some(Arc::clone(entry)), 1);
            }
            assert_eq!(cache.cached(key(0)), None);
            for i in 1..=WAYS as u64 {
                assert_eq!(cache.cached(key(i)), Some(i as u32));
            }
            // The evicted entry is let go of; the others are still held by the cache.
            assert_eq!(Arc::strong_count(&entries[0]), 1);
            assert_eq!(Arc::strong_count(&entries[1]), 2);
        });
    }

    #[test]
    fn a_family_larger_than_the_table_has_one_miss_in_eight_cached() {
        each_kind(|cache| {
            let huge = MAX_SETS * WAYS + 1;
            let entries: Vec<_> = (0..16).map(Arc::new).collect();
            for (key, entry) in (1..).zip(&entries) {
                cache.insert(key, || Some(Arc::clone(entry)), huge);
            }
            let kept: Vec<u64> = (1..=16).filter(|k| cache.cached(*k).is_some()).collect();
            assert_eq!(kept, [8, 16]);
            // The entries of the others were never asked for.
            assert_eq!(Arc::strong_count(&entries[0]), 1);
            assert_eq!(Arc::strong_count(&entries[7]), 2);
            // A family that fits caches every miss.
            cache.insert(100, || Some(Arc::new(100)), MAX_SETS * WAYS);
            assert_eq!(cache.cached(100), Some(100));
        });
    }

    #[test]
    fn the_table_grows_with_the_family_and_stops_at_its_bound() {
        each_kind(|cache| {
            cache.insert(1, || Some(Arc::new(1)), 1);
            assert_eq!(cache.sets(), MIN_SETS);
            cache.insert(2, || Some(Arc::new(2)), 100);
            assert_eq!(cache.sets(), 128);
            // Growing empties the table; what is cached after it is found.
            assert_eq!(cache.cached(1), None);
            assert_eq!(cache.cached(2), Some(2));
            // A family larger than any table grows it at the first miss it admits; the misses
            // it turns away change nothing.
            cache.insert(3, || Some(Arc::new(3)), 1_000_000);
            assert_eq!(cache.sets(), 128, "turned away");
            for key in 4..3 + u64::from(ADMIT_ONE_IN) {
                cache.insert(key, || Some(Arc::new(3)), 1_000_000);
            }
            assert_eq!(cache.sets(), MAX_SETS);
            cache.insert(4, || Some(Arc::new(4)), 10);
            assert_eq!(cache.sets(), MAX_SETS, "a table never shrinks");
        });
    }

    #[test]
    fn a_table_that_lets_go_of_as_many_entries_as_it_has_sets_doubles() {
        each_kind(|cache| {
            // Keys `i << 48` go to the sets in turn: the first `MIN_SETS * WAYS` fill the
            // table, and each one after evicts an entry.
            let key = |i: usize| (i as u64) << 48;
            let fill = MIN_SETS * WAYS;
            for i in 0..fill + MIN_SETS - 1 {
                cache.insert(key(i), || Some(Arc::new(i as u32)), 1);
            }
            // The same key again evicts nothing.
            cache.insert(key(fill), || Some(Arc::new(0)), 1);
            cache.insert(key(fill + MIN_SETS - 1), || Some(Arc::new(0)), 1);
            assert_eq!(cache.sets(), MIN_SETS);
            // That was the `MIN_SETS`-th eviction: the next insert doubles the table first.
            cache.insert(1 << 62, || Some(Arc::new(1)), 1);
            assert_eq!(cache.sets(), 2 * MIN_SETS);
            assert_eq!(cache.cached(1 << 62), Some(1));
        });
    }
}
