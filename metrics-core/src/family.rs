//! Families: one metric per distinct set of label values.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use crossbeam_utils::sync::{ShardedLock, ShardedLockReadGuard};

use hashbrown::HashTable;

use crate::cache::{self, Cached};
use crate::counter::Counter;
use crate::error::ExemplarError;
use crate::escape;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::label::{self, LabelSet, Stored};
use crate::metric::{Metric, Shared};
use crate::native::NativeHistogram;
use crate::sorted::{Identity, SortedIndex};

/// Creates a series of `metric` with these label values, without an exemplar whatever was at
/// its address before.
fn new_series<L: LabelSet, M: Metric>(values: L::Ref<'_>, metric: M) -> Shared<M> {
    // Found once here, so that exports copy plain values as they are.
    let plain =
        (0..L::ARITY).all(|i| !escape::needs_json_escape(L::value_of(values, i).as_bytes()));
    let series = label::with_packed::<L, _>(values, |packed| Shared::new(metric, packed, plain));
    series.metric().start_fresh();
    series
}

impl<M> Cached for Shared<M> {
    fn only_here(&self) -> bool {
        self.count() == 1
    }
}

impl<M> Identity for Shared<M> {
    fn identity(&self) -> usize {
        self.addr()
    }
}

/// The references a hashed family holds on each of its series: the table and the sorted index.
/// A series with no more than these has no [`Series`] handle.
const FAMILY_REFS: usize = 2;

enum Storage<M: Metric> {
    /// Label values hashed into a table; the sorted order is kept between scrapes.
    Hashed {
        /// A read locks one of eight locks, the one of its thread, so that lookups on several
        /// threads write no shared reader count; a write (an insert, a removal) locks all eight.
        table: ShardedLock<HashTable<Shared<M>>>,
        order: SortedIndex<Shared<M>>,
        hasher: foldhash::fast::RandomState,
        /// A number no other family and no earlier state of this one has had: taken anew at
        /// each removal from `table`. The cache keys each entry by it as well, so that an entry
        /// is found neither by another family nor after a removal.
        stamp: AtomicU64,
    },
    /// A fixed set of label values (an enum): one slot each, no hashing.
    Dense {
        slots: Box<[Shared<M>]>,
        /// Whether each slot is exported: from its first use until it is removed.
        shown: Box<[AtomicBool]>,
        /// Slot indices sorted by label value.
        order: Box<[usize]>,
    },
}

/// A metric with label keys: one series of `M` per distinct set of label values `L`.
///
/// `L` is `String` for one key, a tuple of `String`s for several, or an enum deriving
/// `LabelValue` (one slot per variant, no hashing). Every lookup takes the borrowed form (`&str`,
/// a tuple of `&str`, the enum) and allocates only when it creates a series.
///
/// ```
/// use meterstick_core::{Counter, Family};
///
/// let delivered: Family<Counter> = Family::new();
/// delivered.inc("smtp_client");                 // looked up on every call
/// let esmtp = delivered.with("esmtp_listener"); // an owned handle, kept for later
/// esmtp.inc_by(2);
/// assert_eq!(delivered.get("smtp_client"), Some(1));
/// assert_eq!(delivered.len(), 2);
/// ```
///
/// No method hands out a lock guard: the lock inside is held only for the lookup itself, never
/// while user code runs, so no use of a family can deadlock.
pub struct Family<M: Metric, L: LabelSet = String> {
    storage: Storage<M>,
    options: M::Options,
    prune: bool,
    /// The most series, the overflow series included; 0 for no limit.
    max_series: AtomicUsize,
    /// Whether `max_series` was set on the family itself, so registry defaults leave it alone.
    own_limit: bool,
    /// Lookups sent to the overflow series because the family was full.
    overflowed: AtomicU64,
    labels: PhantomData<fn() -> L>,
}

impl<M: Metric, L: LabelSet> Family<M, L> {
    /// Creates an empty family whose series are built from `options` (a histogram's buckets).
    pub fn with_options(options: M::Options) -> Self {
        let storage = match L::CARDINALITY {
            Some(n) => {
                let slots: Box<[Shared<M>]> = (0..n)
                    .filter_map(L::from_dense_index)
                    .map(|values| new_series::<L, M>(values, M::with_options(&options)))
                    .collect();
                let mut order: Vec<usize> = (0..slots.len()).collect();
                order.sort_by(|a, b| label::compare::<L>(slots[*a].labels(), slots[*b].labels()));
                Storage::Dense {
                    shown: slots.iter().map(|_| AtomicBool::new(false)).collect(),
                    slots,
                    order: order.into(),
                }
            }
            None => Storage::Hashed {
                table: ShardedLock::new(HashTable::new()),
                order: SortedIndex::new(),
                hasher: foldhash::fast::RandomState::default(),
                stamp: AtomicU64::new(label::new_stamp()),
            },
        };
        Family {
            storage,
            options,
            prune: false,
            max_series: AtomicUsize::new(0),
            own_limit: false,
            overflowed: AtomicU64::new(0),
            labels: PhantomData,
        }
    }

    /// Creates an empty family.
    pub fn new() -> Self
    where
        M::Options: Default,
    {
        Family::with_options(M::Options::default())
    }

    /// Makes this a pruning family: a series lives while a [`Series`] handle to it lives, and
    /// disappears from every format once the last one is dropped (at the next export, or at
    /// [`Family::sweep`]).
    ///
    /// A series created by an update through the family itself (`inc(labels)`, `set(labels, v)`,
    /// ...) has no handle, so the next export or sweep removes it before writing anything: on a
    /// pruning family, take a handle with [`Family::with`] and keep it for as long as the series
    /// should exist; updates through the family then reach that series. Enum-labelled families
    /// do not prune.
    pub fn pruning(mut self) -> Self {
        self.prune = true;
        self
    }

    /// Bounds the family to `max` series, the overflow series included.
    ///
    /// Once full, every new set of label values is sent to one overflow series whose values are
    /// all [`OVERFLOW_LABEL_VALUE`](label::OVERFLOW_LABEL_VALUE), and the registry's
    /// `meterstick_series_overflow_total{metric="<name>"}` counts each such lookup. Memory never
    /// grows past the limit. Enum-labelled families cannot fill up and ignore it.
    ///
    /// The overflow values are reserved: label values that are all `__overflow__` name the
    /// overflow series itself, full family or not, so each lookup of them is counted as one
    /// sent to the overflow series, and their updates are exported in it.
    ///
    /// ```
    /// use meterstick_core::{Counter, Family};
    ///
    /// let deliveries: Family<Counter> = Family::new().max_series(3);
    /// deliveries.inc("gmail.com");
    /// deliveries.inc("yahoo.com"); // full: the overflow series takes the last place
    /// deliveries.inc("aol.com");
    /// deliveries.inc_by("__overflow__", 10); // the overflow series, looked up by name
    /// assert_eq!(deliveries.get("__overflow__"), Some(11));
    /// assert_eq!(deliveries.series_limit(), Some((3, 2)));
    /// ```
    pub fn max_series(mut self, max: usize) -> Self {
        self.max_series = AtomicUsize::new(max);
        self.own_limit = true;
        self
    }

    /// Applies a registry-wide limit to a family that has none of its own.
    pub(crate) fn default_max_series(&self, max: usize) {
        if !self.own_limit && L::CARDINALITY.is_none() {
            self.max_series.store(max, Ordering::Relaxed);
        }
    }

    /// The limit on series, if any, and how many lookups went to the overflow series.
    pub fn series_limit(&self) -> Option<(usize, u64)> {
        match self.max_series.load(Ordering::Relaxed) {
            0 => None,
            max => Some((max, self.overflowed.load(Ordering::Relaxed))),
        }
    }

    /// Returns an owned handle to the series with these label values, creating it if needed.
    ///
    /// Keep the handle to update the series later with no lookup at all.
    pub fn with(&self, labels: L::Ref<'_>) -> Series<M, L> {
        Series {
            entry: self.entry(labels),
            labels: PhantomData,
        }
    }

    /// Runs `f` on the series with these label values, creating it if needed, without touching
    /// any reference count. `f` runs outside the lock.
    ///
    /// Always inlined into the caller, with the lookup in this thread's cache; a miss goes to
    /// [`Self::apply_uncached`], out of line. Left to the compiler, whether the whole of it was
    /// inlined changed with unrelated code, and a labeled update took 3-4 ns more when it was not.
    #[inline(always)]
    fn apply<R>(&self, labels: L::Ref<'_>, f: impl Fn(&M) -> R + Copy) -> R {
        match &self.storage {
            Storage::Dense { slots, shown, .. } => {
                let i = L::dense_index(labels);
                show(&shown[i]);
                f(slots[i].metric())
            }
            Storage::Hashed {
                table,
                hasher,
                stamp,
                ..
            } => {
                // Read before the table: a removal after this makes the key below stale.
                let key = label::digest::<L>(labels, stamp.load(Ordering::Acquire));
                // A pruning family counts handles, so this thread may not hold its series.
                if !self.prune {
                    let hit = cache::get(M::thread_table(), key, |entry| {
                        label::matches::<L>(entry.labels(), labels).then(|| f(entry.metric()))
                    });
                    if let Some(result) = hit {
                        return result;
                    }
                }
                self.apply_uncached(table, hasher, key, labels, f)
            }
        }
    }

    /// [`Self::apply`] past this thread's cache: the family's table, then an insert.
    #[inline(never)]
    fn apply_uncached<R>(
        &self,
        table: &ShardedLock<HashTable<Shared<M>>>,
        hasher: &foldhash::fast::RandomState,
        key: u64,
        labels: L::Ref<'_>,
        f: impl Fn(&M) -> R + Copy,
    ) -> R {
        let hash = label::hash::<L>(hasher, labels);
        {
            let table = read(table);
            // The entry is kept alive by the table while the read lock is held; the metric
            // operations are single atomic instructions, never user code.
            if let Some(entry) = self.find_or_overflow(&table, hasher, hash, labels) {
                self.remember(key, labels, entry, table.len());
                return f(entry.metric());
            }
        }
        let entry = self.insert(hash, labels);
        self.remember(key, labels, &entry, self.len());
        f(entry.metric())
    }

    fn entry(&self, labels: L::Ref<'_>) -> Shared<M> {
        match &self.storage {
            Storage::Dense { slots, shown, .. } => {
                let i = L::dense_index(labels);
                show(&shown[i]);
                slots[i].clone()
            }
            Storage::Hashed { table, hasher, .. } => {
                let hash = label::hash::<L>(hasher, labels);
                if let Some(entry) = self.find_or_overflow(&read(table), hasher, hash, labels) {
                    return entry.clone();
                }
                self.insert(hash, labels)
            }
        }
    }

    /// Caches `entry` in this thread under `key` for the next lookup of `labels`, unless it
    /// stands for other values (the overflow series) or the family prunes.
    #[cold]
    fn remember(&self, key: u64, labels: L::Ref<'_>, entry: &Shared<M>, family_len: usize) {
        if !self.prune && !self.names_overflow(labels) {
            let own = || label::matches::<L>(entry.labels(), labels).then(|| entry.clone());
            cache::insert(M::thread_table(), key, own, family_len);
        }
    }

    /// The series with these values, or the overflow series when the family is full and has
    /// one already; `None` when the caller must insert.
    #[inline]
    fn find_or_overflow<'t>(
        &self,
        table: &'t HashTable<Shared<M>>,
        hasher: &foldhash::fast::RandomState,
        hash: u64,
        labels: L::Ref<'_>,
    ) -> Option<&'t Shared<M>> {
        if let Some(entry) = table.find(hash, |e| label::matches::<L>(e.labels(), labels)) {
            self.count_if_overflow(labels);
            return Some(entry);
        }
        let overflow = self.full(table.len()).then(L::overflow).flatten()?;
        let entry = table.find(label::hash::<L>(hasher, overflow), |e| {
            label::matches::<L>(e.labels(), overflow)
        })?;
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        Some(entry)
    }

    /// Whether `labels` are the overflow series' own values in a family with a limit: a lookup
    /// of them reaches the overflow series, so it is counted as one sent there, and the series
    /// is never cached, so that every such lookup is counted.
    #[inline]
    fn names_overflow(&self, labels: L::Ref<'_>) -> bool {
        self.max_series.load(Ordering::Relaxed) != 0
            && L::overflow().is_some()
            && (0..L::ARITY).all(|i| L::value_of(labels, i) == label::OVERFLOW_LABEL_VALUE)
    }

    /// Counts a lookup of the overflow series by its own values as one sent there.
    fn count_if_overflow(&self, labels: L::Ref<'_>) {
        if self.names_overflow(labels) {
            self.overflowed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether a new series would leave no room for the overflow series within the limit.
    fn full(&self, len: usize) -> bool {
        let max = self.max_series.load(Ordering::Relaxed);
        max != 0 && len + 1 >= max
    }

    #[cold]
    fn insert(&self, hash: u64, labels: L::Ref<'_>) -> Shared<M> {
        let Storage::Hashed {
            table,
            order,
            hasher,
            ..
        } = &self.storage
        else {
            unreachable!("only hashed families insert");
        };
        let mut table = table.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = table.find(hash, |e| label::matches::<L>(e.labels(), labels)) {
            self.count_if_overflow(labels);
            return entry.clone();
        }
        let (hash, labels) = match self.full(table.len()).then(L::overflow).flatten() {
            Some(overflow) => {
                self.overflowed.fetch_add(1, Ordering::Relaxed);
                (label::hash::<L>(hasher, overflow), overflow)
            }
            None => {
                self.count_if_overflow(labels);
                (hash, labels)
            }
        };
        let entry = table
            .entry(
                hash,
                |e| label::matches::<L>(e.labels(), labels),
                |e| label::hash_packed::<L>(hasher, e.labels()),
            )
            .or_insert_with(|| {
                let entry = new_series::<L, M>(labels, M::with_options(&self.options));
                order.push(entry.clone());
                entry
            });
        entry.get().clone()
    }

    fn find<R>(&self, labels: L::Ref<'_>, f: impl FnOnce(&M) -> R) -> Option<R> {
        match &self.storage {
            Storage::Dense { slots, shown, .. } => {
                let i = L::dense_index(labels);
                shown[i]
                    .load(Ordering::Relaxed)
                    .then(|| f(slots[i].metric()))
            }
            Storage::Hashed { table, hasher, .. } => {
                let hash = label::hash::<L>(hasher, labels);
                read(table)
                    .find(hash, |e| label::matches::<L>(e.labels(), labels))
                    .map(|e| f(e.metric()))
            }
        }
    }

    /// Removes the series with these label values; returns whether it existed.
    ///
    /// Handles to it keep working but are no longer exported; a later update through the family
    /// starts a new series at zero. In an enum-labelled family the series only stops being
    /// exported until its next update, and keeps its value.
    pub fn remove(&self, labels: L::Ref<'_>) -> bool {
        match &self.storage {
            Storage::Dense { shown, .. } => {
                shown[L::dense_index(labels)].swap(false, Ordering::Relaxed)
            }
            Storage::Hashed {
                table,
                order,
                hasher,
                stamp,
                ..
            } => {
                let hash = label::hash::<L>(hasher, labels);
                let mut table = table.write().unwrap_or_else(PoisonError::into_inner);
                let Ok(entry) = table.find_entry(hash, |e| label::matches::<L>(e.labels(), labels))
                else {
                    return false;
                };
                let (entry, _) = entry.remove();
                stamp.store(label::new_stamp(), Ordering::Release);
                order.remove([entry]);
                drop(table);
                order.tidy(compare::<L, M>);
                true
            }
        }
    }

    /// Removes every series.
    pub fn clear(&self) {
        match &self.storage {
            Storage::Dense { shown, .. } => {
                shown.iter().for_each(|s| s.store(false, Ordering::Relaxed))
            }
            Storage::Hashed {
                table,
                order,
                stamp,
                ..
            } => {
                let mut table = table.write().unwrap_or_else(PoisonError::into_inner);
                stamp.store(label::new_stamp(), Ordering::Release);
                order.remove(std::mem::take(&mut *table));
                // The series are freed by the next scrape, or here: not under the lock.
                drop(table);
                order.tidy(compare::<L, M>);
            }
        }
    }

    /// Removes, in a pruning family, every series that no [`Series`] handle holds; returns how
    /// many. Exports do this by themselves.
    pub fn sweep(&self) -> usize {
        let Storage::Hashed {
            table,
            order,
            stamp,
            ..
        } = &self.storage
        else {
            return 0;
        };
        if !self.prune {
            return 0;
        }
        let unheld = |e: &Shared<M>| e.count() <= FAMILY_REFS;
        // Look first under the read lock, so that a sweep with nothing to do stalls nobody.
        if !read(table).iter().any(unheld) {
            return 0;
        }
        // Under the write lock no lookup can clone an entry, so a count of `FAMILY_REFS` means
        // that no handle exists nor can appear.
        let mut table = table.write().unwrap_or_else(PoisonError::into_inner);
        let removed: Vec<Shared<M>> = table.extract_if(|e| unheld(e)).collect();
        stamp.store(label::new_stamp(), Ordering::Release);
        let count = removed.len();
        order.remove(removed);
        drop(table);
        order.tidy(compare::<L, M>);
        count
    }

    /// Whether a series with these label values exists.
    pub fn contains(&self, labels: L::Ref<'_>) -> bool {
        self.find(labels, |_| ()).is_some()
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        match &self.storage {
            Storage::Dense { shown, .. } => {
                shown.iter().filter(|s| s.load(Ordering::Relaxed)).count()
            }
            Storage::Hashed { table, .. } => read(table).len(),
        }
    }

    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on every series, sorted by label values, with no lock held that an update or
    /// an insert could wait for. A pruning family is swept first.
    #[cfg(test)]
    pub(crate) fn for_each_sorted<E>(
        &self,
        mut f: impl FnMut(&[&str], &M) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_sorted_series(|labels, metric| {
            label::with_values::<L, _>(labels.packed(), |values| f(values, metric))
        })
    }

    /// As [`Family::for_each_sorted`], with each series' label values as the series keeps them.
    #[inline]
    pub(crate) fn for_each_sorted_series<E>(
        &self,
        mut f: impl FnMut(Stored<'_>, &M) -> Result<(), E>,
    ) -> Result<(), E> {
        // The one place `f` is called, so that it is inlined into this loop: runs of series
        // are handed here, not single series.
        let mut run =
            |series: &[Shared<M>]| series.iter().try_for_each(|e| f(e.stored(), e.metric()));
        match &self.storage {
            Storage::Dense {
                slots,
                shown,
                order,
            } => order
                .iter()
                .filter(|i| shown[**i].load(Ordering::Relaxed))
                .try_for_each(|i| run(std::slice::from_ref(&slots[*i]))),
            Storage::Hashed { order, .. } => {
                self.sweep();
                order.for_each_run(compare::<L, M>, run)
            }
        }
    }
}

/// The order in which series are listed: by their label values.
fn compare<L: LabelSet, M>(a: &Shared<M>, b: &Shared<M>) -> std::cmp::Ordering {
    label::compare::<L>(a.labels(), b.labels())
}

/// Marks a slot of an enum-labelled family shown, without a write when it already is.
#[inline]
fn show(shown: &AtomicBool) {
    if !shown.load(Ordering::Relaxed) {
        shown.store(true, Ordering::Relaxed);
    }
}

fn read<T>(lock: &ShardedLock<T>) -> ShardedLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

impl<M: Metric, L: LabelSet> Default for Family<M, L>
where
    M::Options: Default,
{
    fn default() -> Self {
        Family::new()
    }
}

impl<M: Metric, L: LabelSet> Drop for Family<M, L> {
    fn drop(&mut self) {
        // Threads' tables may hold series of this family: once the family's own references are
        // dropped, they are told to look for series that only they hold.
        let empty = Storage::Dense {
            slots: Box::new([]),
            shown: Box::new([]),
            order: Box::new([]),
        };
        let storage = std::mem::replace(&mut self.storage, empty);
        let hashed = matches!(storage, Storage::Hashed { .. });
        drop(storage);
        if hashed {
            cache::let_go();
        }
    }
}

impl<M: Metric, L: LabelSet> fmt::Debug for Family<M, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family")
            .field("kind", &M::KIND)
            .field("series", &self.len())
            .field("pruning", &self.prune)
            .field("limit", &self.series_limit())
            .finish()
    }
}

/// The labels-first methods of a counter family, for each value type: one `impl` each, with no
/// bound to satisfy, so that the update compiles as the counter's own method would.
macro_rules! counter_family {
    ($($v:ty),*) => {$(
impl<L: LabelSet> Family<Counter<$v>, L> {
    /// Adds one to the series with these label values.
    #[inline]
    pub fn inc(&self, labels: L::Ref<'_>) {
        self.apply(labels, Counter::inc)
    }

    /// Adds `n` to the series with these label values.
    #[inline]
    pub fn inc_by(&self, labels: L::Ref<'_>, n: $v) {
        self.apply(labels, |c| c.inc_by(n))
    }

    /// Adds one to the series with these label values and keeps `exemplar` as its latest
    /// exemplar: see [`Counter::inc_with_exemplar`].
    pub fn inc_with_exemplar(
        &self,
        labels: L::Ref<'_>,
        exemplar: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        self.apply(labels, |c| c.inc_with_exemplar(exemplar))
    }

    /// Adds `n` to the series with these label values and keeps `exemplar` as its latest
    /// exemplar: see [`Counter::inc_by_with_exemplar`].
    pub fn inc_by_with_exemplar(
        &self,
        labels: L::Ref<'_>,
        n: $v,
        exemplar: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        self.apply(labels, |c| c.inc_by_with_exemplar(n, exemplar))
    }

    /// The total of the series with these label values, if it exists.
    pub fn get(&self, labels: L::Ref<'_>) -> Option<$v> {
        self.find(labels, Counter::get)
    }
}
    )*};
}

counter_family!(u64, f64);

/// The labels-first methods of a gauge family, for each value type (see `counter_family!`).
macro_rules! gauge_family {
    ($($v:ty),*) => {$(
impl<L: LabelSet> Family<Gauge<$v>, L> {
    /// Sets the series with these label values to `v`.
    #[inline]
    pub fn set(&self, labels: L::Ref<'_>, v: $v) {
        self.apply(labels, |g| g.set(v))
    }

    /// Adds one to the series with these label values.
    #[inline]
    pub fn inc(&self, labels: L::Ref<'_>) {
        self.apply(labels, Gauge::inc)
    }

    /// Subtracts one from the series with these label values.
    #[inline]
    pub fn dec(&self, labels: L::Ref<'_>) {
        self.apply(labels, Gauge::dec)
    }

    /// Adds `n` to the series with these label values.
    #[inline]
    pub fn add(&self, labels: L::Ref<'_>, n: $v) {
        self.apply(labels, |g| g.add(n))
    }

    /// Subtracts `n` from the series with these label values.
    #[inline]
    pub fn sub(&self, labels: L::Ref<'_>, n: $v) {
        self.apply(labels, |g| g.sub(n))
    }

    /// The value of the series with these label values, if it exists.
    pub fn get(&self, labels: L::Ref<'_>) -> Option<$v> {
        self.find(labels, Gauge::get)
    }
}
    )*};
}

gauge_family!(i64, f64);

impl<L: LabelSet> Family<Histogram, L> {
    /// Records `v` in the series with these label values.
    #[inline]
    pub fn observe(&self, labels: L::Ref<'_>, v: f64) {
        self.apply(labels, |h| h.observe(v))
    }

    /// Records `v` in the series with these label values and keeps `exemplar` as the latest
    /// exemplar of its bucket: see [`Histogram::observe_with_exemplar`].
    pub fn observe_with_exemplar(
        &self,
        labels: L::Ref<'_>,
        v: f64,
        exemplar: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        self.apply(labels, |h| h.observe_with_exemplar(v, exemplar))
    }
}

impl<L: LabelSet> Family<NativeHistogram, L> {
    /// Records `v` in the series with these label values.
    #[inline]
    pub fn observe(&self, labels: L::Ref<'_>, v: f64) {
        self.apply(labels, |h| h.observe(v))
    }
}

/// An owned handle to one series of a [`Family`]; it derefs to the metric.
///
/// A handle costs nothing to use: an update through it is the metric's own atomic operation.
/// It stays valid after the series is removed from its family (the update is then not exported).
/// In a pruning family, the series lives as long as a handle to it does. `L` is the family's
/// label type, `String` unless the family has several keys or enum labels.
pub struct Series<M, L = String> {
    entry: Shared<M>,
    labels: PhantomData<fn() -> L>,
}

impl<M, L> Deref for Series<M, L> {
    type Target = M;

    #[inline]
    fn deref(&self) -> &M {
        self.entry.metric()
    }
}

impl<M, L> Clone for Series<M, L> {
    fn clone(&self) -> Self {
        Series {
            entry: self.entry.clone(),
            labels: PhantomData,
        }
    }
}

impl<M: fmt::Debug, L> fmt::Debug for Series<M, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_familys_series_leave_this_threads_table_at_its_next_insert() {
        let dropped: Family<Counter> = Family::new();
        dropped.inc("a");
        let handle = dropped.with("a");
        // The family's table and order, this thread's lookup table, and the handle.
        assert_eq!(handle.entry.count(), 4);
        drop(dropped);
        assert_eq!(handle.entry.count(), 2);
        let other: Family<Counter> = Family::new();
        other.inc("b");
        assert_eq!(handle.entry.count(), 2, "the handle still holds it");
        drop(other);
        drop(handle);
        let third: Family<Counter> = Family::new();
        let kept = third.with("c");
        third.inc("c");
        // The thread's table holds the series of "c", and none of the dropped families'.
        assert_eq!(kept.entry.count(), 4);
        let held = <Counter as crate::metric::sealed::Cached>::thread_table()
            .with(|t| t.count(|e| e.identity() != kept.entry.identity()));
        assert_eq!(held, 0);
    }

    #[test]
    fn a_series_is_one_thin_pointer_to_its_metric_and_labels() {
        // One word in the table, the sorted order, the lookup cache and a `Series` handle.
        assert_eq!(std::mem::size_of::<Option<Shared<Counter>>>(), 8);
        assert_eq!(std::mem::size_of::<Series<Counter>>(), 8);
        let series = new_series::<(String, String), _>(("a", "é\""), Counter::new());
        series.metric().inc_by(3);
        assert_eq!(series.metric().get(), 3);
        assert_eq!(series.labels(), b"a\xFF\xC3\xA9\"");
        assert!(!series.stored().plain(), "a quote needs escaping");
        let plain = new_series::<String, _>("smtp_client", Counter::<u64>::new());
        assert_eq!(plain.labels(), b"smtp_client");
        assert!(plain.stored().plain());
        let empty = new_series::<String, _>("", Counter::<u64>::new());
        assert_eq!(empty.labels(), b"");
        assert!(empty.stored().plain());
    }
}
