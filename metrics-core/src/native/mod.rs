//! The native histogram: sparse exponential buckets, as Prometheus defines them.
//!
//! At schema `s` the buckets grow by a factor of `2^(2^-s)`: bucket `i` holds the values `v`
//! with `2^((i-1)/2^s) < |v| <= 2^(i/2^s)`, on each side of zero, and a zero bucket holds those
//! with `|v| <= zero_threshold`. Only buckets with observations take room.
//!
//! # How it is kept
//!
//! Two tables, each an open-addressed array of `(bucket, count)` slots of fixed size, of which
//! one is *hot*. An observation adds to the hot table: one `fetch_add` on `state` (whose top
//! bit says which table is hot, and whose rest counts the observations started) picks the
//! table, then the bucket's slot is found (or claimed, by compare-and-swap) and its count
//! incremented. No lock is taken.
//!
//! The number of observations is never kept apart: it is the sum of the counts, so a reader
//! always sees counts that add up to the count it reports.
//!
//! When the hot table holds more than `max_buckets` buckets, the histogram lowers its
//! resolution, under the lock that scrapes also take:
//! 1. the new schema (one lower, or as low as needed, down to -4; past that, a wider zero
//!    bucket) is set on the cold table, which is empty;
//! 2. the hot bit is flipped: observations from now on go to the other table;
//! 3. the old table is drained: the lock holder waits until its counts (and the observations
//!    that gave up on it, below) add up to the observations that picked it;
//! 4. its counts are merged into the new table, mapped to the new buckets, and it is emptied.
//!
//! An observation that finds no free slot at all (the table is full while a lowering is
//! pending) counts itself as given up on that table, helps lower the resolution, and starts
//! again: nothing is lost and nothing waits on it.

use std::sync::PoisonError;

#[cfg(loom)]
use loom::sync::Mutex;
#[cfg(loom)]
use loom::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::Mutex;
#[cfg(not(loom))]
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use crate::atomic_f64::{Bits, add_f64};
use crate::error::NativeOptionsError;

mod buckets;
mod snapshot;

use buckets::{Resolution, bucket_index};
pub use snapshot::NativeSnapshot;

/// The lowest schema: each bucket 65,536 times as wide as the one before.
pub const MIN_SCHEMA: i8 = -4;
/// The highest schema: 256 buckets per doubling.
pub const MAX_SCHEMA: i8 = 8;

/// How a [`NativeHistogram`] starts: its schema, the most buckets it keeps before lowering its
/// resolution, and the width of its zero bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NativeOptions {
    schema: i8,
    max_buckets: u32,
    zero_threshold: f64,
}

impl NativeOptions {
    /// The default schema: 8 buckets per doubling, each about 9% wider than the one before.
    pub const DEFAULT_SCHEMA: i8 = 3;
    /// The default most buckets, both sides of zero together.
    pub const DEFAULT_MAX_BUCKETS: u32 = 160;
    /// The default zero bucket: `2^-128`, as Prometheus's own clients set it.
    pub const DEFAULT_ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;

    /// Checks and takes the options: `schema` in `-4..=8`, `max_buckets` at least 1, and a
    /// `zero_threshold` that is finite and not negative.
    ///
    /// ```
    /// use meterstick_core::NativeOptions;
    /// assert!(NativeOptions::new(5, 100, 1e-9).is_ok());
    /// assert!(NativeOptions::new(9, 100, 0.0).is_err());
    /// ```
    pub fn new(
        schema: i8,
        max_buckets: u32,
        zero_threshold: f64,
    ) -> Result<Self, NativeOptionsError> {
        if !(MIN_SCHEMA..=MAX_SCHEMA).contains(&schema) {
            return Err(NativeOptionsError::Schema(schema));
        }
        if max_buckets == 0 {
            return Err(NativeOptionsError::MaxBuckets);
        }
        if !(zero_threshold.is_finite() && zero_threshold >= 0.0) {
            return Err(NativeOptionsError::ZeroThreshold(zero_threshold));
        }
        Ok(NativeOptions {
            schema,
            max_buckets,
            zero_threshold,
        })
    }

    /// Options checked by `#[derive(Metrics)]` at compile time.
    #[doc(hidden)]
    pub const fn from_checked(schema: i8, max_buckets: u32, zero_threshold: f64) -> Self {
        NativeOptions {
            schema,
            max_buckets,
            zero_threshold,
        }
    }

    /// The schema the histogram starts at.
    pub fn schema(&self) -> i8 {
        self.schema
    }

    /// The most buckets kept before the resolution is lowered.
    pub fn max_buckets(&self) -> u32 {
        self.max_buckets
    }

    /// The largest magnitude counted in the zero bucket.
    pub fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }
}

impl Default for NativeOptions {
    fn default() -> Self {
        NativeOptions::from_checked(
            Self::DEFAULT_SCHEMA,
            Self::DEFAULT_MAX_BUCKETS,
            Self::DEFAULT_ZERO_THRESHOLD,
        )
    }
}

/// A distribution in sparse exponential buckets (a Prometheus *native histogram*): any
/// quantile to within the schema's relative error, with no bucket bounds to choose.
///
/// `observe` takes no lock: one atomic operation picks where to count, one counts, and the
/// sum is added by compare-and-swap. Past `max_buckets` buckets the histogram halves its
/// resolution (lowers the schema by one) as many times as needed, as Prometheus's own clients
/// do; at schema -4 it widens the zero bucket instead.
///
/// Zero, and any value within the zero threshold of it, counts in the zero bucket; so does NaN,
/// which also makes the sum NaN. The infinities count in the bucket past the largest finite
/// value on their side.
///
/// ```
/// use meterstick_core::NativeHistogram;
///
/// let latency = NativeHistogram::default();
/// for v in [0.010, 0.0101, 0.250, 0.0] {
///     latency.observe(v);
/// }
/// let snapshot = latency.snapshot();
/// assert_eq!((snapshot.count(), snapshot.zero_count()), (4, 1));
/// assert_eq!(snapshot.schema(), 3);
/// // 0.010 and 0.0101 share a bucket: at schema 3 a bucket spans a factor of about 1.09.
/// assert_eq!(snapshot.positive().len(), 2);
/// ```
#[derive(Debug)]
pub struct NativeHistogram {
    options: NativeOptions,
    /// The top bit: which table is hot. The rest: how many observations were started.
    state: AtomicU64,
    tables: [Table; 2],
    /// The sum of every observation, as `f64` bits.
    sum: AtomicU64,
    /// Held by a reader and by a lowering of the resolution.
    control: Mutex<Control>,
}

const HOT: u64 = 1 << 63;

/// The fewest slots a table has (fewer in the loom models, whose cost grows with every atomic
/// read).
const MIN_CAPACITY: usize = if cfg!(loom) { 4 } else { 8 };

/// What the holder of the lock keeps track of.
#[derive(Debug, Default)]
struct Control {
    /// The number of observations started when the hot table last changed.
    base: u64,
    /// For each table, how much of its counts came from merging the other into it.
    merged: [u64; 2],
}

/// One of the two tables.
#[derive(Debug)]
struct Table {
    /// The most buckets it may keep: the histogram's `max_buckets`.
    max_buckets: usize,
    schema: AtomicI32,
    zero_threshold: AtomicU64,
    zero: AtomicU64,
    /// How many slots are taken.
    used: AtomicUsize,
    /// How many observations picked this table and gave up on it, finding it full.
    abandoned: AtomicU64,
    slots: Box<[Slot]>,
}

#[derive(Debug)]
struct Slot {
    /// The bucket, coded by [`code`]; 0 for a free slot.
    key: AtomicU32,
    count: AtomicU64,
}

/// What adding to a table came to.
enum Added {
    Done,
    /// Done, but the table now has more buckets than it may keep.
    Crowded,
    /// No free slot: nothing was added.
    Full,
}

impl NativeHistogram {
    /// An empty histogram with these options.
    pub fn new(options: NativeOptions) -> Self {
        let capacity = (options.max_buckets as usize)
            .saturating_mul(3)
            .div_ceil(2)
            .saturating_add(2)
            .next_power_of_two()
            .max(MIN_CAPACITY);
        let table = || Table::new(capacity, &options);
        NativeHistogram {
            options,
            state: AtomicU64::new(0),
            tables: [table(), table()],
            sum: AtomicU64::new(0f64.to_bits()),
            control: Mutex::new(Control::default()),
        }
    }

    /// The options it was made with.
    pub fn options(&self) -> &NativeOptions {
        &self.options
    }

    /// Records one observation of `v`.
    #[inline]
    pub fn observe(&self, v: f64) {
        add_f64(&self.sum, v);
        loop {
            let started = self.state.fetch_add(1, Ordering::Acquire);
            let table = &self.tables[(started >> 63) as usize];
            match table.add(v) {
                Added::Done => return,
                Added::Crowded => return self.limit(),
                Added::Full => {
                    table.abandoned.fetch_add(1, Ordering::Release);
                    self.limit();
                }
            }
        }
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.snapshot().count()
    }

    /// The sum of the observations.
    pub fn sum(&self) -> f64 {
        f64::from_bits(Bits::load(&self.sum))
    }

    /// The buckets as they are now: every count taken from one table, so that they add up to
    /// the count.
    pub fn snapshot(&self) -> NativeSnapshot {
        let control = self.control.lock().unwrap_or_else(PoisonError::into_inner);
        let hot = &self.tables[(self.state.load(Ordering::Acquire) >> 63) as usize];
        let mut snapshot = NativeSnapshot {
            schema: hot.schema.load(Ordering::Relaxed),
            zero_threshold: f64::from_bits(hot.zero_threshold.load(Ordering::Relaxed)),
            zero_count: hot.zero.load(Ordering::Acquire),
            negative: Vec::new(),
            positive: Vec::new(),
            sum: 0.0,
        };
        for slot in &hot.slots {
            let key = slot.key.load(Ordering::Acquire);
            let count = slot.count.load(Ordering::Acquire);
            if key != 0 && count != 0 {
                let (index, negative) = decode(key);
                match negative {
                    true => snapshot.negative.push((index, count)),
                    false => snapshot.positive.push((index, count)),
                }
            }
        }
        drop(control);
        snapshot.sum = self.sum();
        snapshot.negative.sort_unstable();
        snapshot.positive.sort_unstable();
        snapshot
    }

    /// Lowers the resolution until the hot table keeps to `max_buckets`.
    #[cold]
    fn limit(&self) {
        let mut control = self.control.lock().unwrap_or_else(PoisonError::into_inner);
        let max = self.options.max_buckets as usize;
        // Buckets taken out of a table that had no room for them in the next, to be put in
        // the one after, and the schema they are at.
        let mut pending: Vec<(i32, bool, u64)> = Vec::new();
        loop {
            let h = (self.state.load(Ordering::Acquire) >> 63) as usize;
            let (hot, cold) = (&self.tables[h], &self.tables[1 - h]);
            if hot.used.load(Ordering::Relaxed) <= max && pending.is_empty() {
                return;
            }
            let from = hot.resolution();
            let keys: Vec<(i32, bool)> = hot
                .keys()
                .chain(pending.iter().map(|p| (p.0, p.1)))
                .collect();
            let to = from.lowered(&keys, max);
            cold.schema.store(to.schema, Ordering::Relaxed);
            cold.zero_threshold
                .store(to.zero_threshold.to_bits(), Ordering::Relaxed);
            // Observations from here on go to the other table, at the new resolution.
            let started = self.state.fetch_xor(HOT, Ordering::AcqRel) & !HOT;
            let expected = control.merged[h] + (started - control.base);
            control.base = started;
            while hot.done() != expected {
                spin();
            }
            let mut merged = hot.zero.load(Ordering::Acquire);
            cold.zero.fetch_add(merged, Ordering::Release);
            let moved = hot
                .buckets()
                .map(|(index, negative, count)| (from, index, negative, count))
                .chain(pending.drain(..).map(|(i, n, c)| (from, i, n, c)))
                .collect::<Vec<_>>();
            for (from, index, negative, count) in moved {
                merged += count;
                match to.map(from, index) {
                    None => {
                        cold.zero.fetch_add(count, Ordering::Release);
                    }
                    Some(index) => {
                        if !cold.add_count(code(index, negative), count) {
                            pending.push((index, negative, count));
                            merged -= count;
                        }
                    }
                }
            }
            // The counts still pending are at the new schema, as `from` will next be.
            control.merged[1 - h] += merged;
            control.merged[h] = 0;
            hot.clear();
        }
    }
}

impl Default for NativeHistogram {
    fn default() -> Self {
        NativeHistogram::new(NativeOptions::default())
    }
}

/// Waits a moment for observations in flight to finish.
fn spin() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::thread::yield_now();
}

impl Table {
    /// The schema and zero bucket the table counts at.
    fn resolution(&self) -> Resolution {
        Resolution {
            schema: self.schema.load(Ordering::Relaxed),
            zero_threshold: f64::from_bits(self.zero_threshold.load(Ordering::Relaxed)),
            zero_index: None,
        }
    }

    fn new(capacity: usize, options: &NativeOptions) -> Self {
        Table {
            max_buckets: options.max_buckets as usize,
            schema: AtomicI32::new(options.schema.into()),
            zero_threshold: AtomicU64::new(options.zero_threshold.to_bits()),
            zero: AtomicU64::new(0),
            used: AtomicUsize::new(0),
            abandoned: AtomicU64::new(0),
            slots: (0..capacity)
                .map(|_| Slot {
                    key: AtomicU32::new(0),
                    count: AtomicU64::new(0),
                })
                .collect(),
        }
    }

    /// Counts one observation of `v`.
    #[inline]
    fn add(&self, v: f64) -> Added {
        let threshold = f64::from_bits(self.zero_threshold.load(Ordering::Relaxed));
        let magnitude = v.abs();
        // NaN too.
        if magnitude <= threshold || magnitude.is_nan() {
            self.zero.fetch_add(1, Ordering::Release);
            return Added::Done;
        }
        let index = bucket_index(magnitude, self.schema.load(Ordering::Relaxed));
        let key = code(index, v < 0.0);
        let mask = self.slots.len() - 1;
        let mut at = probe_start(key, mask);
        for _ in 0..self.slots.len() {
            let slot = &self.slots[at];
            let mut found = slot.key.load(Ordering::Acquire);
            if found == 0 {
                match slot
                    .key
                    .compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => {
                        let used = self.used.fetch_add(1, Ordering::Relaxed) + 1;
                        slot.count.fetch_add(1, Ordering::Release);
                        return match used > self.max_buckets {
                            true => Added::Crowded,
                            false => Added::Done,
                        };
                    }
                    Err(other) => found = other,
                }
            }
            if found == key {
                slot.count.fetch_add(1, Ordering::Release);
                return Added::Done;
            }
            at = (at + 1) & mask;
        }
        Added::Full
    }

    /// Adds `count` to bucket `key`, claiming a slot for it; false when there is none free.
    fn add_count(&self, key: u32, count: u64) -> bool {
        let mask = self.slots.len() - 1;
        let mut at = probe_start(key, mask);
        for _ in 0..self.slots.len() {
            let slot = &self.slots[at];
            let found = match slot
                .key
                .compare_exchange(0, key, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => {
                    self.used.fetch_add(1, Ordering::Relaxed);
                    key
                }
                Err(found) => found,
            };
            if found == key {
                slot.count.fetch_add(count, Ordering::Release);
                return true;
            }
            at = (at + 1) & mask;
        }
        false
    }

    /// Every count of the table, and the observations that gave up on it.
    fn done(&self) -> u64 {
        let buckets: u64 = self
            .slots
            .iter()
            .map(|s| s.count.load(Ordering::Acquire))
            .sum();
        buckets + self.zero.load(Ordering::Acquire) + self.abandoned.load(Ordering::Acquire)
    }

    /// The buckets that have a slot, counted or not yet.
    fn keys(&self) -> impl Iterator<Item = (i32, bool)> + '_ {
        self.slots.iter().filter_map(|s| {
            let key = s.key.load(Ordering::Acquire);
            (key != 0).then(|| decode(key))
        })
    }

    /// The buckets with counts: `(index, negative, count)`.
    fn buckets(&self) -> impl Iterator<Item = (i32, bool, u64)> + '_ {
        self.slots.iter().filter_map(|s| {
            let key = s.key.load(Ordering::Acquire);
            let count = s.count.load(Ordering::Acquire);
            (key != 0 && count != 0).then(|| {
                let (index, negative) = decode(key);
                (index, negative, count)
            })
        })
    }

    /// Empties the table; only while nothing adds to it.
    fn clear(&self) {
        for slot in &self.slots {
            slot.key.store(0, Ordering::Relaxed);
            slot.count.store(0, Ordering::Relaxed);
        }
        self.zero.store(0, Ordering::Relaxed);
        self.used.store(0, Ordering::Relaxed);
        self.abandoned.store(0, Ordering::Relaxed);
    }
}

/// Where the probe for `key` starts: its low bits. The buckets in use are runs of consecutive
/// indexes on each side of zero, so their keys fall in consecutive slots and a table with room
/// for them all holds them without a collision; mixing the bits first would only add to the
/// time of every observation.
#[inline]
fn probe_start(key: u32, mask: usize) -> usize {
    key as usize & mask
}

/// Indexes stay within `±2^20` at every schema (at schema 8, from `-1074 * 256` to
/// `1024 * 256 + 1`): shifted up by this, they are positive.
const INDEX_OFFSET: i32 = 1 << 20;

/// A bucket as a slot's key: never 0.
#[inline]
fn code(index: i32, negative: bool) -> u32 {
    (((index + INDEX_OFFSET) as u32) << 1) | u32::from(negative)
}

fn decode(key: u32) -> (i32, bool) {
    (((key >> 1) as i32) - INDEX_OFFSET, key & 1 == 1)
}

#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use loom::sync::Arc;

    fn model(f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = Some(3);
        builder.check(f);
    }

    /// Two observations race, each taking a bucket past `max_buckets` (one), so that one or
    /// both lower the resolution while a scrape reads: every scrape sees counts that add up,
    /// and at the end every observation is counted once, within the limit.
    #[test]
    fn loom_observations_racing_a_lowering_and_a_scrape() {
        model(|| {
            let h = Arc::new(NativeHistogram::new(NativeOptions::new(0, 1, 0.0).unwrap()));
            h.observe(1.0);
            let observers: Vec<_> = [4.0, -0.5]
                .into_iter()
                .map(|v| {
                    let h = h.clone();
                    loom::thread::spawn(move || h.observe(v))
                })
                .collect();
            let seen = h.snapshot();
            assert!((1..=3).contains(&seen.count()), "{seen:?}");
            for observer in observers {
                observer.join().unwrap();
            }
            let end = h.snapshot();
            assert_eq!(end.count(), 3, "{end:?}");
            assert_eq!(end.sum(), 4.5);
            assert!(end.positive().len() + end.negative().len() <= 1, "{end:?}");
        });
    }

    /// Two observations into buckets that exist already race a scrape: nothing is lowered, and
    /// the scrape sees each either whole or not at all.
    #[test]
    fn loom_observations_racing_a_scrape() {
        model(|| {
            let h = Arc::new(NativeHistogram::new(NativeOptions::new(0, 4, 0.0).unwrap()));
            h.observe(1.0);
            h.observe(0.0);
            let observer = {
                let h = h.clone();
                loom::thread::spawn(move || {
                    h.observe(1.0);
                    h.observe(0.0);
                })
            };
            let seen = h.snapshot();
            assert!((2..=4).contains(&seen.count()), "{seen:?}");
            assert!(seen.positive().iter().all(|b| b.0 == 0));
            observer.join().unwrap();
            let end = h.snapshot();
            assert_eq!((end.count(), end.zero_count(), end.schema()), (4, 2, 0));
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn observations_are_counted_where_they_fall() {
        let h = NativeHistogram::new(NativeOptions::new(0, 100, 0.5).unwrap());
        for v in [0.0, 0.25, -0.5, 1.0, 2.0, 3.0, -3.0, 4.0, f64::INFINITY] {
            h.observe(v);
        }
        let s = h.snapshot();
        assert_eq!(s.zero_count(), 3);
        assert_eq!(s.positive(), &[(0, 1), (1, 1), (2, 2), (1025, 1)]);
        assert_eq!(s.negative(), &[(2, 1)]);
        assert_eq!(s.count(), 9);
        assert_eq!(s.sum(), f64::INFINITY);
        let cumulative = s.cumulative();
        assert_eq!(cumulative[0], (-2.0, 1));
        assert_eq!(cumulative[1], (0.5, 4));
        // The bucket of +Inf has no finite bound: the last is 4's.
        assert_eq!(cumulative.last(), Some(&(4.0, 8)));
        h.observe(f64::NAN);
        assert_eq!(h.snapshot().zero_count(), 4);
        assert!(h.sum().is_nan());
    }

    #[test]
    fn past_max_buckets_the_schema_is_lowered_and_nothing_is_lost() {
        let h = NativeHistogram::new(NativeOptions::new(8, 20, 0.0).unwrap());
        let mut n = 0;
        let mut v = 1.0;
        while v < 1e6 {
            h.observe(v);
            h.observe(-v);
            n += 2;
            v *= 1.01;
        }
        let s = h.snapshot();
        assert_eq!(s.count(), n);
        assert!(s.positive().len() + s.negative().len() <= 20, "{s:?}");
        assert!(s.schema() < 8);
        // 1.0 to 1e6 is about 20 doublings: at schema -1, eleven buckets a side (from the one
        // ending at 1), 22 in all, too many; at schema -2, six a side.
        assert_eq!(s.schema(), -2);
        assert_eq!((s.positive().len(), s.negative().len()), (6, 6));
    }

    #[test]
    fn at_the_lowest_schema_the_zero_bucket_widens() {
        let h = NativeHistogram::new(NativeOptions::new(-4, 4, 0.0).unwrap());
        for e in (-1000..1000).step_by(10) {
            h.observe(f64::from(e).exp2());
        }
        let s = h.snapshot();
        assert_eq!(s.count(), 200);
        assert!(s.positive().len() <= 4, "{s:?}");
        assert!(s.zero_threshold() > 0.0 && s.zero_count() > 0);
        // Everything in the zero bucket is within its threshold.
        assert!(s.zero_threshold() >= f64::from(-1000).exp2());
    }
}
