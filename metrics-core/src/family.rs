//! Families: one metric per distinct set of label values.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use hashbrown::HashTable;
use triomphe::ThinArc;

use crate::cache::LookupCache;
use crate::counter::Counter;
use crate::encode;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::label::{self, LabelSet};
use crate::metric::Metric;
use crate::sorted::SortedIndex;

/// The fixed part of a series: its metric and two flags. A series is one allocation, shared by
/// the family and every [`Series`] handle: its reference count, this, the length of its label
/// values and the values themselves (see `label::with_packed`).
struct Head<M> {
    metric: M,
    /// Set while the series is not exported: removed, pruned, or (in an enum-labelled family)
    /// not yet used.
    hidden: AtomicBool,
    /// Whether no label value needs escaping in any format, found once at creation so that
    /// exports copy the values as they are.
    plain: bool,
}

type Shared<M> = ThinArc<Head<M>, u8>;

/// Creates a series of `metric` with these label values.
fn new_series<L: LabelSet, M>(values: L::Ref<'_>, metric: M, hidden: bool) -> Shared<M> {
    let plain =
        (0..L::ARITY).all(|i| !encode::needs_json_escape(L::value_of(values, i).as_bytes()));
    let head = Head {
        metric,
        hidden: AtomicBool::new(hidden),
        plain,
    };
    label::with_packed::<L, _>(values, |packed| {
        ThinArc::from_header_and_slice(head, packed)
    })
}

/// What a series is made of: its fixed part and its packed label values.
trait Parts<M> {
    fn head(&self) -> &Head<M>;
    fn labels(&self) -> &[u8];
}

impl<M> Parts<M> for Shared<M> {
    #[inline(always)]
    fn head(&self) -> &Head<M> {
        &self.header.header
    }

    #[inline(always)]
    fn labels(&self) -> &[u8] {
        &self.slice
    }
}

impl<M> Head<M> {
    fn is_live(&self) -> bool {
        !self.hidden.load(Ordering::Relaxed)
    }

    fn hide(&self) {
        self.hidden.store(true, Ordering::Relaxed);
    }

    /// Makes an enum-labelled series visible on first use, without a write when it already is.
    #[inline]
    fn show(&self) {
        if self.hidden.load(Ordering::Relaxed) {
            self.hidden.store(false, Ordering::Relaxed);
        }
    }
}

/// The references a hashed family holds on each of its series: the table and the sorted index.
/// A series with no more than these has no [`Series`] handle.
const FAMILY_REFS: usize = 2;

enum Storage<M: Metric> {
    /// Label values hashed into a table; the sorted order is kept between scrapes.
    Hashed {
        table: RwLock<HashTable<Shared<M>>>,
        order: SortedIndex<Shared<M>>,
        hasher: foldhash::fast::RandomState,
        /// Recent lookups by label values, per thread; unused by pruning families.
        cache: LookupCache<Shared<M>>,
    },
    /// A fixed set of label values (an enum): one slot each, no hashing.
    Dense {
        slots: Box<[Shared<M>]>,
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
                    .map(|values| new_series::<L, M>(values, M::with_options(&options), true))
                    .collect();
                let mut order: Vec<usize> = (0..slots.len()).collect();
                order.sort_by(|a, b| label::compare::<L>(slots[*a].labels(), slots[*b].labels()));
                Storage::Dense {
                    slots,
                    order: order.into(),
                }
            }
            None => Storage::Hashed {
                table: RwLock::new(HashTable::new()),
                order: SortedIndex::new(),
                hasher: foldhash::fast::RandomState::default(),
                cache: LookupCache::new(),
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
    /// all [`OVERFLOW_LABEL_VALUE`](crate::OVERFLOW_LABEL_VALUE), and the registry's
    /// `meterstick_series_overflow_total{metric="<name>"}` counts each such lookup. Memory never
    /// grows past the limit. Enum-labelled families cannot fill up and ignore it.
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
    #[inline]
    fn apply<R>(&self, labels: L::Ref<'_>, f: impl Fn(&M) -> R + Copy) -> R {
        match &self.storage {
            Storage::Dense { slots, .. } => {
                let entry = slots[L::dense_index(labels)].head();
                entry.show();
                f(&entry.metric)
            }
            Storage::Hashed {
                table,
                hasher,
                cache,
                ..
            } => {
                // A pruning family counts handles, so this thread may not hold its series.
                let fingerprint = label::digest::<L>(labels);
                if !self.prune {
                    let hit = cache.get(fingerprint, |entry| {
                        let head = entry.head();
                        (label::matches::<L>(entry.labels(), labels) && head.is_live())
                            .then(|| f(&head.metric))
                    });
                    if let Some(result) = hit {
                        return result;
                    }
                }
                let hash = label::hash::<L>(hasher, labels);
                {
                    let table = read(table);
                    // The entry is kept alive by the table while the read lock is held; the
                    // metric operations are single atomic instructions, never user code.
                    if let Some(entry) = self.find_or_overflow(&table, hasher, hash, labels) {
                        self.remember(cache, fingerprint, labels, entry, table.len());
                        return f(&entry.head().metric);
                    }
                }
                let entry = self.insert(hash, labels);
                self.remember(cache, fingerprint, labels, &entry, self.len());
                f(&entry.head().metric)
            }
        }
    }

    fn entry(&self, labels: L::Ref<'_>) -> Shared<M> {
        match &self.storage {
            Storage::Dense { slots, .. } => {
                let entry = &slots[L::dense_index(labels)];
                entry.head().show();
                entry.clone()
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

    /// Caches `entry` in this thread for the next lookup of `labels`, unless it stands for other
    /// values (the overflow series) or the family prunes.
    #[cold]
    fn remember(
        &self,
        cache: &LookupCache<Shared<M>>,
        fingerprint: u64,
        labels: L::Ref<'_>,
        entry: &Shared<M>,
        family_len: usize,
    ) {
        if !self.prune && label::matches::<L>(entry.labels(), labels) {
            cache.insert(fingerprint, entry.clone(), family_len);
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
            return Some(entry);
        }
        let overflow = self.full(table.len()).then(L::overflow).flatten()?;
        let entry = table.find(label::hash::<L>(hasher, overflow), |e| {
            label::matches::<L>(e.labels(), overflow)
        })?;
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        Some(entry)
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
            return entry.clone();
        }
        let (hash, labels) = match self.full(table.len()).then(L::overflow).flatten() {
            Some(overflow) => {
                self.overflowed.fetch_add(1, Ordering::Relaxed);
                (label::hash::<L>(hasher, overflow), overflow)
            }
            None => (hash, labels),
        };
        let entry = table
            .entry(
                hash,
                |e| label::matches::<L>(e.labels(), labels),
                |e| label::hash_packed::<L>(hasher, e.labels()),
            )
            .or_insert_with(|| {
                let entry = new_series::<L, M>(labels, M::with_options(&self.options), false);
                order.push(entry.clone());
                entry
            });
        entry.get().clone()
    }

    fn find<R>(&self, labels: L::Ref<'_>, f: impl FnOnce(&M) -> R) -> Option<R> {
        match &self.storage {
            Storage::Dense { slots, .. } => {
                let entry = slots[L::dense_index(labels)].head();
                entry.is_live().then(|| f(&entry.metric))
            }
            Storage::Hashed { table, hasher, .. } => {
                let hash = label::hash::<L>(hasher, labels);
                read(table)
                    .find(hash, |e| label::matches::<L>(e.labels(), labels))
                    .map(|e| f(&e.head().metric))
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
            Storage::Dense { slots, .. } => {
                let entry = slots[L::dense_index(labels)].head();
                let was_live = entry.is_live();
                entry.hide();
                was_live
            }
            Storage::Hashed {
                table,
                order,
                hasher,
                ..
            } => {
                let hash = label::hash::<L>(hasher, labels);
                let mut table = table.write().unwrap_or_else(PoisonError::into_inner);
                match table.find_entry(hash, |e| label::matches::<L>(e.labels(), labels)) {
                    Ok(entry) => {
                        let (entry, _) = entry.remove();
                        entry.head().hide();
                        order.mark_stale();
                        true
                    }
                    Err(_) => false,
                }
            }
        }
    }

    /// Removes every series.
    pub fn clear(&self) {
        match &self.storage {
            Storage::Dense { slots, .. } => slots.iter().for_each(|e| e.head().hide()),
            Storage::Hashed { table, order, .. } => {
                // Dropped after the lock is released: freeing many series must not stall
                // updates.
                let old =
                    std::mem::take(&mut *table.write().unwrap_or_else(PoisonError::into_inner));
                old.iter().for_each(|e| e.head().hide());
                order.clear();
                drop(old);
            }
        }
    }

    /// Removes, in a pruning family, every series that no [`Series`] handle holds; returns how
    /// many. Exports do this by themselves.
    pub fn sweep(&self) -> usize {
        let Storage::Hashed { table, order, .. } = &self.storage else {
            return 0;
        };
        if !self.prune {
            return 0;
        }
        let unheld = |e: &Shared<M>| ThinArc::strong_count(e) <= FAMILY_REFS;
        // Look first under the read lock, so that a sweep with nothing to do stalls nobody.
        if !read(table).iter().any(unheld) {
            return 0;
        }
        // Under the write lock no lookup can clone an entry, so a count of `FAMILY_REFS` means
        // that no handle exists nor can appear.
        let mut removed = 0;
        table
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|e| {
                let keep = !unheld(e);
                if !keep {
                    e.head().hide();
                    removed += 1;
                }
                keep
            });
        order.mark_stale();
        removed
    }

    /// Whether a series with these label values exists.
    pub fn contains(&self, labels: L::Ref<'_>) -> bool {
        self.find(labels, |_| ()).is_some()
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        match &self.storage {
            Storage::Dense { slots, .. } => slots.iter().filter(|e| e.head().is_live()).count(),
            Storage::Hashed { table, .. } => read(table).len(),
        }
    }

    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on every series, sorted by label values, with no lock held that an update or
    /// an insert could wait for. A pruning family is swept first.
    pub(crate) fn for_each_sorted<E>(
        &self,
        mut f: impl FnMut(&[&str], &M) -> Result<(), E>,
    ) -> Result<(), E> {
        self.for_each_sorted_series(|labels, _, metric| {
            label::with_values::<L, _>(labels, |values| f(values, metric))
        })
    }

    /// As [`Family::for_each_sorted`], with each series' label values packed as they are kept
    /// (see `label::unpack`), and whether none of them needs escaping.
    #[inline]
    pub(crate) fn for_each_sorted_series<E>(
        &self,
        mut f: impl FnMut(&[u8], bool, &M) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut each = |e: &Shared<M>| {
            let head = e.head();
            f(e.labels(), head.plain, &head.metric)
        };
        match &self.storage {
            Storage::Dense { slots, order } => order
                .iter()
                .map(|i| &slots[*i])
                .filter(|e| e.head().is_live())
                .try_for_each(each),
            Storage::Hashed { order, .. } => {
                self.sweep();
                order.for_each(
                    |e| e.head().is_live(),
                    |a, b| label::compare::<L>(a.labels(), b.labels()),
                    &mut each,
                )
            }
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
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

impl<L: LabelSet> Family<Counter, L> {
    /// Adds one to the series with these label values.
    #[inline]
    pub fn inc(&self, labels: L::Ref<'_>) {
        self.apply(labels, Counter::inc)
    }

    /// Adds `n` to the series with these label values.
    #[inline]
    pub fn inc_by(&self, labels: L::Ref<'_>, n: u64) {
        self.apply(labels, |c| c.inc_by(n))
    }

    /// The total of the series with these label values, if it exists.
    pub fn get(&self, labels: L::Ref<'_>) -> Option<u64> {
        self.find(labels, Counter::get)
    }
}

impl<L: LabelSet> Family<Gauge, L> {
    /// Sets the series with these label values to `v`.
    #[inline]
    pub fn set(&self, labels: L::Ref<'_>, v: i64) {
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
    pub fn add(&self, labels: L::Ref<'_>, n: i64) {
        self.apply(labels, |g| g.add(n))
    }

    /// Subtracts `n` from the series with these label values.
    #[inline]
    pub fn sub(&self, labels: L::Ref<'_>, n: i64) {
        self.apply(labels, |g| g.sub(n))
    }

    /// The value of the series with these label values, if it exists.
    pub fn get(&self, labels: L::Ref<'_>) -> Option<i64> {
        self.find(labels, Gauge::get)
    }
}

impl<L: LabelSet> Family<Histogram, L> {
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
        &self.entry.head().metric
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
    fn a_series_is_one_thin_pointer_to_its_metric_flags_and_labels() {
        // One word in the table, the sorted order, the lookup cache and a `Series` handle.
        assert_eq!(std::mem::size_of::<Option<Shared<Counter>>>(), 8);
        assert_eq!(std::mem::size_of::<Series<Counter>>(), 8);
        let series = new_series::<(String, String), _>(("a", "é\""), Counter::new(), false);
        assert_eq!(series.labels(), b"a\xFF\xC3\xA9\"");
        assert!(!series.head().plain, "a quote needs escaping");
        assert!(series.head().is_live());
    }
}
