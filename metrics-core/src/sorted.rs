//! The order in which a family lists its series, kept between scrapes.
//!
//! Sorting a million series on every scrape would cost more than writing them. The index keeps
//! the sorted list; series created since the last scrape wait in `pending` and are merged in, in
//! place, by the next scrape; removed series wait in `removed` and are dropped from the list by
//! the next scrape, and left out by any scrape before. Updates of existing series never touch the
//! index.

use std::cmp::Ordering;
use std::sync::PoisonError;

// Model-checked with loom: `RUSTFLAGS="--cfg loom" cargo test -p meterstick-core --lib loom`.
#[cfg(loom)]
use loom::sync::{Mutex, MutexGuard, RwLock};
#[cfg(not(loom))]
use std::sync::{Mutex, MutexGuard, RwLock};

/// How many removed items may wait for a scrape before `tidy` applies them.
const TIDY_AFTER: usize = 4096;

/// Tells items apart: two items held at once have the same identity only if they are the same
/// item (for a series, its address).
pub(crate) trait Identity {
    fn identity(&self) -> usize;
}

pub(crate) struct SortedIndex<T> {
    sorted: RwLock<Vec<T>>,
    pending: Mutex<Vec<T>>,
    /// Items removed since the last refresh. Holding them keeps their identities from being
    /// reused by new items until they are dropped from the list.
    removed: Mutex<Vec<T>>,
}

impl<T: Clone + Identity> SortedIndex<T> {
    pub(crate) fn new() -> Self {
        SortedIndex {
            sorted: RwLock::new(Vec::new()),
            pending: Mutex::new(Vec::new()),
            removed: Mutex::new(Vec::new()),
        }
    }

    /// Adds a new item; it is listed from the next `for_each_run` on.
    pub(crate) fn push(&self, item: T) {
        lock(&self.pending).push(item);
    }

    /// Removes items pushed before; they are not listed from the next `for_each_run` on.
    pub(crate) fn remove(&self, items: impl IntoIterator<Item = T>) {
        lock(&self.removed).extend(items);
    }

    /// Applies the removals now if many wait and no scrape is reading, so that an index that
    /// is never scraped does not hold on to every item ever removed.
    pub(crate) fn tidy(&self, cmp: impl Fn(&T, &T) -> Ordering) {
        if lock(&self.removed).len() < TIDY_AFTER {
            return;
        }
        if let Ok(mut sorted) = self.sorted.try_write() {
            self.refresh(&mut sorted, &cmp);
        }
    }

    /// Calls `f` on every item pushed and not removed, in `cmp` order, a run of items at a
    /// time: usually all of them in one run, so that the loop over them is the caller's own.
    ///
    /// The list is brought up to date first if no other scrape is reading it; otherwise the
    /// items created since are sorted apart and merged in on the fly, and the items removed
    /// since are skipped, so a slow reader never makes another wait.
    pub(crate) fn for_each_run<E>(
        &self,
        cmp: impl Fn(&T, &T) -> Ordering,
        mut f: impl FnMut(&[T]) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Ok(mut sorted) = self.sorted.try_write() {
            self.refresh(&mut sorted, &cmp);
        }
        let sorted = self.sorted.read().unwrap_or_else(PoisonError::into_inner);
        // Pending before removed, the reverse of `refresh`. The family records a removal before
        // the insert that replaces it (both under its table's write lock), so a replacement
        // seen here has its predecessor in the `removed` taken next, and the two are never
        // listed together. An item pushed after this snapshot is left to the next scrape; one
        // removed after the next is listed, as it was there when the scrape began. Holding
        // `sorted` keeps any refresh from emptying `removed` in between.
        let mut late: Vec<T> = lock(&self.pending).clone();
        // Empty, and not allocated, unless items were removed while another scrape read.
        let removed = identities(&lock(&self.removed));
        let live = |t: &T| removed.is_empty() || removed.binary_search(&t.identity()).is_err();
        late.retain(live);
        if late.is_empty() && removed.is_empty() {
            // Every scrape but one racing an insert or a removal.
            return f(&sorted);
        }
        late.sort_unstable_by(&cmp);
        let mut late = late.iter().peekable();
        for item in sorted.iter().filter(|t| live(t)) {
            while let Some(early) = late.next_if(|l| cmp(l, item) == Ordering::Less) {
                f(std::slice::from_ref(early))?;
            }
            f(std::slice::from_ref(item))?;
        }
        late.try_for_each(|item| f(std::slice::from_ref(item)))
    }

    /// Drops the removed items and merges the pending ones into `sorted`, in place.
    fn refresh(&self, sorted: &mut Vec<T>, cmp: &impl Fn(&T, &T) -> Ordering) {
        // Removed before pending: an item is always pushed before it is removed, so every item
        // taken here from `removed` is in `sorted` or in the `pending` taken next.
        let removed = std::mem::take(&mut *lock(&self.removed));
        let mut new = std::mem::take(&mut *lock(&self.pending));
        if !removed.is_empty() {
            let dead = identities(&removed);
            let live = |t: &T| dead.binary_search(&t.identity()).is_err();
            sorted.retain(live);
            new.retain(live);
        }
        drop(removed);
        if new.is_empty() {
            return;
        }
        new.sort_unstable_by(cmp);
        merge_into(sorted, new, cmp);
    }
}

/// The identities of `items`, sorted for `binary_search`.
fn identities<T: Identity>(items: &[T]) -> Vec<usize> {
    let mut ids: Vec<usize> = items.iter().map(Identity::identity).collect();
    ids.sort_unstable();
    ids
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Merges sorted `new` into sorted `sorted` from the back, moving each old item at most once
/// and allocating nothing beyond the room for `new`.
fn merge_into<T: Clone>(sorted: &mut Vec<T>, new: Vec<T>, cmp: &impl Fn(&T, &T) -> Ordering) {
    let old_len = sorted.len();
    // Exactly the room needed: the merge moves every item anyway, so doubling ahead of time
    // would only keep up to twice the memory for nothing.
    sorted.reserve_exact(new.len());
    // Placeholders, overwritten below.
    sorted.extend(new.iter().cloned());
    let mut k = sorted.len();
    let mut i = old_len;
    for item in new.into_iter().rev() {
        // Move the old items greater than `item` up; slots above `i` hold placeholders.
        while i > 0 && cmp(&sorted[i - 1], &item) == Ordering::Greater {
            k -= 1;
            i -= 1;
            sorted.swap(i, k);
        }
        k -= 1;
        sorted[k] = item;
    }
}

#[cfg(test)]
impl Identity for u32 {
    fn identity(&self) -> usize {
        *self as usize
    }
}

/// The items of `index`, in order, as a scrape sees them.
#[cfg(test)]
fn collect(index: &SortedIndex<u32>) -> Vec<u32> {
    let mut out = Vec::new();
    let result = index.for_each_run(
        |a, b| a.cmp(b),
        |run| {
            out.extend_from_slice(run);
            Ok::<(), ()>(())
        },
    );
    assert_eq!(result, Ok(()));
    out
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    use super::collect;

    #[test]
    fn merges_new_items_in_order() {
        let index = SortedIndex::new();
        for x in [5, 1, 9] {
            index.push(x);
        }
        assert_eq!(collect(&index), [1, 5, 9]);
        for x in [7, 0, 10, 6] {
            index.push(x);
        }
        assert_eq!(collect(&index), [0, 1, 5, 6, 7, 9, 10]);
        assert_eq!(*index.sorted.read().unwrap(), [0, 1, 5, 6, 7, 9, 10]);
    }

    #[test]
    fn drops_removed_items_listed_or_pending() {
        let index = SortedIndex::new();
        for x in 0..10 {
            index.push(x);
        }
        assert_eq!(collect(&index).len(), 10);
        index.push(11);
        index.remove((1..12).step_by(2));
        assert_eq!(collect(&index), [0, 2, 4, 6, 8]);
        assert_eq!(index.sorted.read().unwrap().len(), 5);
        assert!(index.removed.lock().unwrap().is_empty());
        index.remove(0..10);
        assert!(collect(&index).is_empty());
        assert!(index.sorted.read().unwrap().is_empty());
    }

    #[test]
    fn tidy_applies_many_waiting_removals_without_a_scrape() {
        let index = SortedIndex::new();
        let n = TIDY_AFTER as u32;
        (0..n + 2).for_each(|x| index.push(x));
        index.remove(0..n - 1);
        index.tidy(u32::cmp);
        assert_eq!(
            index.removed.lock().unwrap().len(),
            TIDY_AFTER - 1,
            "too few to tidy"
        );
        index.remove([n - 1]);
        index.tidy(u32::cmp);
        assert!(index.removed.lock().unwrap().is_empty());
        assert!(index.pending.lock().unwrap().is_empty());
        assert_eq!(*index.sorted.read().unwrap(), [n, n + 1]);
    }

    #[test]
    fn a_reader_in_progress_sees_new_items_merged_and_removed_ones_skipped() {
        let index = SortedIndex::new();
        for x in [2, 4, 6] {
            index.push(x);
        }
        assert_eq!(collect(&index), [2, 4, 6]);
        let held = index.sorted.read().unwrap();
        for x in [5, 1, 7] {
            index.push(x);
        }
        index.remove([4, 7]);
        // The list cannot be refreshed while `held` reads it, yet the output is complete.
        assert_eq!(collect(&index), [1, 2, 5, 6]);
        drop(held);
        assert_eq!(collect(&index), [1, 2, 5, 6]);
        assert!(index.pending.lock().unwrap().is_empty());
        assert!(index.removed.lock().unwrap().is_empty());
    }

    #[test]
    fn merge_into_matches_a_sort() {
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32 % 50
        };
        for _ in 0..200 {
            let mut old: Vec<u32> = (0..next() % 20).map(|_| next()).collect();
            let mut new: Vec<u32> = (0..next() % 20).map(|_| next()).collect();
            old.sort();
            new.sort();
            let mut expected = [old.clone(), new.clone()].concat();
            expected.sort();
            merge_into(&mut old, new, &|a: &u32, b: &u32| a.cmp(b));
            assert_eq!(old, expected);
        }
    }
}

/// Every interleaving of a scrape with inserts, removals and another scrape: the scrape lists
/// each item present once, in order, and nothing is lost for the next one.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    fn sorted_and_distinct(items: &[u32]) -> bool {
        items.windows(2).all(|w| w[0] < w[1])
    }

    #[test]
    fn loom_a_scrape_racing_inserts_and_a_removal() {
        loom::model(|| {
            let index = Arc::new(SortedIndex::new());
            index.push(5u32);
            index.push(2);
            let writer = {
                let index = index.clone();
                loom::thread::spawn(move || {
                    index.push(9);
                    index.remove([5]);
                    index.push(1);
                })
            };
            let seen = collect(&index);
            assert!(sorted_and_distinct(&seen), "{seen:?}");
            assert!(seen.contains(&2), "{seen:?}");
            writer.join().unwrap();
            assert_eq!(collect(&index), [1, 2, 9]);
        });
    }

    #[test]
    fn loom_two_scrapes_and_an_insert() {
        loom::model(|| {
            let index = Arc::new(SortedIndex::new());
            index.push(3u32);
            let other = {
                let index = index.clone();
                loom::thread::spawn(move || collect(&index))
            };
            index.push(1);
            let mine = collect(&index);
            let theirs = other.join().unwrap();
            for seen in [&mine, &theirs] {
                assert!(sorted_and_distinct(seen), "{seen:?}");
                assert!(seen.contains(&3), "{seen:?}");
            }
            assert_eq!(mine, [1, 3]);
            assert_eq!(collect(&index), [1, 3]);
        });
    }

    /// A series as a family keeps it: a key to sort by and an identity of its own, so that a
    /// series removed and created again has the same key and another identity.
    #[derive(Clone, Debug)]
    struct Series {
        key: u32,
        id: usize,
    }

    impl Identity for Series {
        fn identity(&self) -> usize {
            self.id
        }
    }

    fn keys(index: &SortedIndex<Series>) -> Vec<u32> {
        let mut out = Vec::new();
        let result = index.for_each_run(
            |a, b| a.key.cmp(&b.key),
            |run| {
                out.extend(run.iter().map(|s| s.key));
                Ok::<(), ()>(())
            },
        );
        assert_eq!(result, Ok(()));
        out
    }

    /// A series removed and created again under the same key (as `remove` then `inc`, or a
    /// prune then `with`, do) while two scrapes read: neither lists the key twice, and the one
    /// after lists the new series alone. The family pushes and removes under its table's write
    /// lock, so a removal is always recorded before the insert that follows it.
    #[test]
    fn loom_a_series_created_again_while_two_scrapes_read() {
        loom::model(|| {
            let index = Arc::new(SortedIndex::new());
            let table = Arc::new(Mutex::new(()));
            index.push(Series { key: 5, id: 1 });
            index.push(Series { key: 2, id: 2 });
            assert_eq!(keys(&index), [2, 5]);
            let scrapes: Vec<_> = (0..2)
                .map(|_| {
                    let index = index.clone();
                    loom::thread::spawn(move || keys(&index))
                })
                .collect();
            {
                let _table = table.lock().unwrap();
                index.remove([Series { key: 5, id: 1 }]);
            }
            {
                let _table = table.lock().unwrap();
                index.push(Series { key: 5, id: 3 });
            }
            for scrape in scrapes {
                let seen = scrape.join().unwrap();
                assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
                assert!(seen.contains(&2), "{seen:?}");
            }
            let mut ids = Vec::new();
            let _ = index.for_each_run(
                |a, b| a.key.cmp(&b.key),
                |run| {
                    ids.extend(run.iter().map(|s| (s.key, s.id)));
                    Ok::<(), ()>(())
                },
            );
            assert_eq!(ids, [(2, 2), (5, 3)]);
        });
    }

    #[test]
    fn loom_a_removal_while_another_scrape_reads() {
        loom::model(|| {
            let index = Arc::new(SortedIndex::new());
            index.push(4u32);
            index.push(8);
            assert_eq!(collect(&index), [4, 8]);
            let other = {
                let index = index.clone();
                loom::thread::spawn(move || collect(&index))
            };
            index.remove([4]);
            let mine = collect(&index);
            let theirs = other.join().unwrap();
            assert_eq!(mine, [8]);
            assert!(theirs == [4, 8] || theirs == [8], "{theirs:?}");
            assert_eq!(collect(&index), [8]);
        });
    }
}
