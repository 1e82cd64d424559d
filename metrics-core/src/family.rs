//! Families: one metric per distinct set of label values.

use std::any::Any;
use std::fmt;
use std::hash::BuildHasher;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use hashbrown::HashTable;

use crate::counter::Counter;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::label::{self, LabelSet};
use crate::metric::Metric;
use crate::sorted::SortedIndex;

/// One series: its label values and its metric, shared by the family and every [`Series`] handle.
struct Entry<L, M> {
    labels: L,
    metric: M,
    /// Set once the series is removed from its family, so that exports skip it.
    removed: AtomicBool,
}

impl<L, M> Entry<L, M> {
    fn is_live(&self) -> bool {
        !self.removed.load(Ordering::Relaxed)
    }

    fn mark_removed(&self) {
        self.removed.store(true, Ordering::Relaxed);
    }
}

/// A metric with label keys: one series of `M` per distinct set of label values `L`.
///
/// `L` is `String` for one key and a tuple of `String`s for several. Every lookup takes the
/// borrowed form (`&str`, a tuple of `&str`) and allocates only when it creates a series.
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
    table: RwLock<HashTable<Arc<Entry<L, M>>>>,
    order: SortedIndex<Arc<Entry<L, M>>>,
    hasher: foldhash::fast::RandomState,
    options: M::Options,
}

impl<M: Metric, L: LabelSet> Family<M, L> {
    /// Creates an empty family whose series are built from `options` (a histogram's buckets).
    pub fn with_options(options: M::Options) -> Self {
        Family {
            table: RwLock::new(HashTable::new()),
            order: SortedIndex::new(),
            hasher: foldhash::fast::RandomState::default(),
            options,
        }
    }

    /// Creates an empty family.
    pub fn new() -> Self
    where
        M::Options: Default,
    {
        Family::with_options(M::Options::default())
    }

    /// Returns an owned handle to the series with these label values, creating it if needed.
    ///
    /// Keep the handle to update the series later with no lookup at all.
    pub fn with(&self, labels: L::Ref<'_>) -> Series<M> {
        Series::new(self.entry(labels))
    }

    /// Runs `f` on the series with these label values, creating it if needed, without touching
    /// any reference count. `f` runs outside the lock.
    #[inline]
    fn apply<R>(&self, labels: L::Ref<'_>, f: impl FnOnce(&M) -> R) -> R {
        let hash = self.hasher.hash_one(labels);
        {
            let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = table.find(hash, |e| e.labels.matches(labels)) {
                // The entry is kept alive by the table while the read lock is held; the metric
                // operations below are single atomic instructions, never user code.
                return f(&entry.metric);
            }
        }
        f(&self.insert(hash, labels).metric)
    }

    fn entry(&self, labels: L::Ref<'_>) -> Arc<Entry<L, M>> {
        let hash = self.hasher.hash_one(labels);
        {
            let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = table.find(hash, |e| e.labels.matches(labels)) {
                return Arc::clone(entry);
            }
        }
        self.insert(hash, labels)
    }

    #[cold]
    fn insert(&self, hash: u64, labels: L::Ref<'_>) -> Arc<Entry<L, M>> {
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        let hasher = &self.hasher;
        let entry = table
            .entry(
                hash,
                |e| e.labels.matches(labels),
                |e| hasher.hash_one(e.labels.borrow_values()),
            )
            .or_insert_with(|| {
                let entry = Arc::new(Entry {
                    labels: L::from_ref(labels),
                    metric: M::with_options(&self.options),
                    removed: AtomicBool::new(false),
                });
                self.order.push(Arc::clone(&entry));
                entry
            });
        Arc::clone(entry.get())
    }

    fn find<R>(&self, labels: L::Ref<'_>, f: impl FnOnce(&M) -> R) -> Option<R> {
        let hash = self.hasher.hash_one(labels);
        let table = self.table.read().unwrap_or_else(PoisonError::into_inner);
        table
            .find(hash, |e| e.labels.matches(labels))
            .map(|e| f(&e.metric))
    }

    /// Removes the series with these label values; returns whether it existed.
    ///
    /// Handles to it keep working but are no longer exported; a later update through the family
    /// starts a new series at zero.
    pub fn remove(&self, labels: L::Ref<'_>) -> bool {
        let hash = self.hasher.hash_one(labels);
        let mut table = self.table.write().unwrap_or_else(PoisonError::into_inner);
        match table.find_entry(hash, |e| e.labels.matches(labels)) {
            Ok(entry) => {
                let (entry, _) = entry.remove();
                entry.mark_removed();
                self.order.mark_stale();
                true
            }
            Err(_) => false,
        }
    }

    /// Removes every series.
    pub fn clear(&self) {
        // Dropped after the lock is released: freeing many series must not stall updates.
        let old = std::mem::take(&mut *self.table.write().unwrap_or_else(PoisonError::into_inner));
        old.iter().for_each(|e| e.mark_removed());
        self.order.clear();
        drop(old);
    }

    /// Whether a series with these label values exists.
    pub fn contains(&self, labels: L::Ref<'_>) -> bool {
        self.find(labels, |_| ()).is_some()
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.table
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` on every series, sorted by label values, with no lock held that an update
    /// or an insert could wait for.
    pub(crate) fn for_each_sorted<E>(
        &self,
        mut f: impl FnMut(&[&str], &M) -> Result<(), E>,
    ) -> Result<(), E> {
        self.order.for_each(
            |e| e.is_live(),
            |a, b| label::compare(&a.labels, &b.labels),
            |e| label::with_values(&e.labels, |values| f(values, &e.metric)),
        )
    }
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
pub struct Series<M> {
    metric: NonNull<M>,
    owner: Arc<dyn Any + Send + Sync>,
}

impl<M: Metric> Series<M> {
    fn new<L: LabelSet>(entry: Arc<Entry<L, M>>) -> Self {
        let metric = NonNull::from(&entry.metric);
        Series {
            metric,
            owner: entry,
        }
    }
}

impl<M> Deref for Series<M> {
    type Target = M;

    #[inline]
    fn deref(&self) -> &M {
        // SAFETY: `metric` points into the `Entry` allocation that `owner` keeps alive for as
        // long as this handle exists. An `Entry` is never moved out of its `Arc` nor mutated
        // through it, so a shared reference with the lifetime of `&self` is valid.
        unsafe { self.metric.as_ref() }
    }
}

impl<M> Clone for Series<M> {
    fn clone(&self) -> Self {
        Series {
            metric: self.metric,
            owner: Arc::clone(&self.owner),
        }
    }
}

// SAFETY: a `Series<M>` only gives out `&M`, and the allocation it points to is owned by a
// `Send + Sync` `Arc`; sharing or sending it is sound exactly when `&M` may cross threads.
unsafe impl<M: Sync> Send for Series<M> {}
// SAFETY: as above.
unsafe impl<M: Sync> Sync for Series<M> {}

impl<M: fmt::Debug> fmt::Debug for Series<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
