//! The order in which a family lists its series, kept between scrapes.
//!
//! Sorting a million series on every scrape would cost more than writing them. The index keeps
//! the sorted list; series created since the last scrape wait in `pending` and are merged in, in
//! place, by the next scrape; removed series are dropped from the list by the scrape after their
//! removal. Updates of existing series never touch the index.

use std::cmp::Ordering;
use std::sync::PoisonError;

// Model-checked with loom: `RUSTFLAGS="--cfg loom" cargo test -p meterstick-core --lib loom`.
#[cfg(loom)]
use loom::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
#[cfg(loom)]
use loom::sync::{Mutex, RwLock};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
#[cfg(not(loom))]
use std::sync::{Mutex, RwLock};

pub(crate) struct SortedIndex<T> {
    sorted: RwLock<Vec<T>>,
    pending: Mutex<Vec<T>>,
    stale: AtomicBool,
}

impl<T: Clone> SortedIndex<T> {
    pub(crate) fn new() -> Self {
        SortedIndex {
            sorted: RwLock::new(Vec::new()),
            pending: Mutex::new(Vec::new()),
            stale: AtomicBool::new(false),
        }
    }

    /// Adds a new item; it is listed from the next `for_each` on.
    pub(crate) fn push(&self, item: T) {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(item);
    }

    /// Notes that some items are no longer live, so the next `for_each` drops them.
    pub(crate) fn mark_stale(&self) {
        self.stale.store(true, AtomicOrdering::Relaxed);
    }

    /// Forgets every item.
    pub(crate) fn clear(&self) {
        let pending =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        let sorted =
            std::mem::take(&mut *self.sorted.write().unwrap_or_else(PoisonError::into_inner));
        drop((pending, sorted));
    }

    /// Calls `f` on every live item in `cmp` order.
    ///
    /// The list is brought up to date first if no other scrape is reading it; otherwise the
    /// items created since are sorted apart and merged in on the fly, so a slow reader never
    /// makes another wait.
    pub(crate) fn for_each<E>(
        &self,
        live: impl Fn(&T) -> bool,
        cmp: impl Fn(&T, &T) -> Ordering,
        mut f: impl FnMut(&T) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Ok(mut sorted) = self.sorted.try_write() {
            self.refresh(&mut sorted, &live, &cmp);
        }
        let sorted = self.sorted.read().unwrap_or_else(PoisonError::into_inner);
        let mut late: Vec<T> = self
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|t| live(t))
            .cloned()
            .collect();
        late.sort_unstable_by(&cmp);
        let mut late = late.iter().peekable();
        for item in sorted.iter().filter(|t| live(t)) {
            while let Some(early) = late.next_if(|l| cmp(l, item) == Ordering::Less) {
                f(early)?;
            }
            f(item)?;
        }
        late.try_for_each(f)
    }

    /// Drops dead items and merges the pending ones into `sorted`, in place.
    fn refresh(
        &self,
        sorted: &mut Vec<T>,
        live: &impl Fn(&T) -> bool,
        cmp: &impl Fn(&T, &T) -> Ordering,
    ) {
        if self.stale.swap(false, AtomicOrdering::Relaxed) {
            sorted.retain(live);
        }
        let mut new =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        new.retain(live);
        if new.is_empty() {
            return;
        }
        new.sort_unstable_by(cmp);
        merge_into(sorted, new, cmp);
    }
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

/// The live items of `index`, in order, as a scrape sees them.
#[cfg(test)]
fn collect(index: &SortedIndex<u32>, live: impl Fn(&u32) -> bool) -> Vec<u32> {
    let mut out = Vec::new();
    let result = index.for_each(
        live,
        |a, b| a.cmp(b),
        |x| {
            out.push(*x);
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
        assert_eq!(collect(&index, |_| true), [1, 5, 9]);
        for x in [7, 0, 10, 5] {
            index.push(x);
        }
        assert_eq!(collect(&index, |_| true), [0, 1, 5, 5, 7, 9, 10]);
        assert_eq!(*index.sorted.read().unwrap(), [0, 1, 5, 5, 7, 9, 10]);
    }

    #[test]
    fn drops_dead_items_once_marked_stale() {
        let index = SortedIndex::new();
        for x in 0..10 {
            index.push(x);
        }
        assert_eq!(collect(&index, |_| true).len(), 10);
        index.mark_stale();
        assert_eq!(collect(&index, |x| x % 2 == 0), [0, 2, 4, 6, 8]);
        assert_eq!(index.sorted.read().unwrap().len(), 5);
    }

    #[test]
    fn a_reader_in_progress_sees_new_items_merged_on_the_fly() {
        let index = SortedIndex::new();
        for x in [2, 4, 6] {
            index.push(x);
        }
        assert_eq!(collect(&index, |_| true), [2, 4, 6]);
        let held = index.sorted.read().unwrap();
        for x in [5, 1, 7] {
            index.push(x);
        }
        // The list cannot be refreshed while `held` reads it, yet the output is complete.
        assert_eq!(collect(&index, |_| true), [1, 2, 4, 5, 6, 7]);
        drop(held);
        assert_eq!(collect(&index, |_| true), [1, 2, 4, 5, 6, 7]);
        assert!(index.pending.lock().unwrap().is_empty());
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

    #[test]
    fn clear_forgets_everything() {
        let index = SortedIndex::new();
        index.push(1);
        assert_eq!(collect(&index, |_| true), [1]);
        index.push(2);
        index.clear();
        assert!(collect(&index, |_| true).is_empty());
    }
}

/// Every interleaving of a scrape with inserts, removals and another scrape: the scrape lists
/// each live item once, in order, and nothing is lost for the next one.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;

    fn scrape(index: &SortedIndex<u32>, dead: &AtomicUsize) -> Vec<u32> {
        let dead = dead.load(AtomicOrdering::SeqCst) as u32;
        super::collect(index, |x| *x != dead)
    }

    fn sorted_and_distinct(items: &[u32]) -> bool {
        items.windows(2).all(|w| w[0] < w[1])
    }

    #[test]
    fn loom_a_scrape_racing_inserts_and_a_removal() {
        loom::model(|| {
            let index = Arc::new(SortedIndex::new());
            // `u32::MAX` stands for "nothing removed yet".
            let dead = Arc::new(AtomicUsize::new(u32::MAX as usize));
            index.push(5u32);
            index.push(2);
            let writer = {
                let (index, dead) = (index.clone(), dead.clone());
                loom::thread::spawn(move || {
                    index.push(9);
                    dead.store(5, AtomicOrdering::SeqCst);
                    index.mark_stale();
                    index.push(1);
                })
            };
            let seen = scrape(&index, &dead);
            assert!(sorted_and_distinct(&seen), "{seen:?}");
            assert!(seen.contains(&2), "{seen:?}");
            writer.join().unwrap();
            assert_eq!(scrape(&index, &dead), [1, 2, 9]);
        });
    }

    #[test]
    fn loom_two_scrapes_and_an_insert() {
        loom::model(|| {
            let index = Arc::new(SortedIndex::new());
            let dead = Arc::new(AtomicUsize::new(u32::MAX as usize));
            index.push(3u32);
            let other = {
                let (index, dead) = (index.clone(), dead.clone());
                loom::thread::spawn(move || scrape(&index, &dead))
            };
            index.push(1);
            let mine = scrape(&index, &dead);
            let theirs = other.join().unwrap();
            for seen in [&mine, &theirs] {
                assert!(sorted_and_distinct(seen), "{seen:?}");
                assert!(seen.contains(&3), "{seen:?}");
            }
            assert_eq!(mine, [1, 3]);
            assert_eq!(scrape(&index, &dead), [1, 3]);
        });
    }
}
