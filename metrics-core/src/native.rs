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

use std::sync::LazyLock;
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
            let from = Resolution::of(hot);
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

/// The bits of an `f64`'s fraction.
const FRACTION: u64 = (1 << 52) - 1;

/// For each schema above zero, where the buckets within one doubling begin, found from the
/// top bits of a value's fraction: the cells of [`Cells`].
static CELLS: LazyLock<[Cells; 8]> = LazyLock::new(|| std::array::from_fn(|s| Cells::new(s + 1)));

/// For schema `s`, the doubling `[1, 2)` cut into `2^(s+1)` cells by the top `s+1` bits of the
/// fraction. The bounds `2^(j/2^s)` are at least `ln 2 / 2^s` apart, more than a cell is wide,
/// so a cell holds at most one: each cell keeps how many bounds lie below it and the fraction
/// bits of the one within it (or `u64::MAX`), and a value's place among the bounds is one
/// comparison of integers (for numbers in `[1, 2)`, the order of their fraction bits).
struct Cells {
    shift: u32,
    cells: Box<[(u64, u32)]>,
}

impl Cells {
    fn new(schema: usize) -> Self {
        let per_doubling = 1usize << schema;
        let bounds: Vec<f64> = (0..per_doubling)
            .map(|j| (j as f64 / per_doubling as f64).exp2())
            .collect();
        let count = 2 * per_doubling;
        let cells = (0..count)
            .map(|c| {
                let low = 1.0 + c as f64 / count as f64;
                let high = 1.0 + (c + 1) as f64 / count as f64;
                let below = bounds.iter().filter(|b| **b < low).count() as u32;
                let within = bounds
                    .iter()
                    .find(|b| **b >= low && **b < high)
                    .map_or(u64::MAX, |b| b.to_bits() & FRACTION);
                (within, below)
            })
            .collect();
        Cells {
            shift: 52 - (schema as u32 + 1),
            cells,
        }
    }

    /// How many bounds lie strictly below `1.fraction`: its bucket within the doubling.
    #[inline]
    fn within(&self, bits: u64) -> i32 {
        let fraction = bits & FRACTION;
        let (bound, below) = self.cells[(fraction >> self.shift) as usize];
        (below + u32::from(fraction > bound)) as i32
    }
}

/// The bucket of a magnitude above the zero threshold at `schema`.
#[inline]
fn bucket_index(magnitude: f64, schema: i32) -> i32 {
    let bits = magnitude.to_bits();
    let exponent = (bits >> 52) as i32;
    if exponent == 0 || exponent == 0x7FF {
        return unusual_index(magnitude, schema);
    }
    // `magnitude` is `2^e * 1.fraction`.
    index_of(bits, exponent - 1023, schema)
}

/// The bucket of `2^e * 1.fraction` (the fraction in `bits`) at `schema`.
#[inline]
fn index_of(bits: u64, e: i32, schema: i32) -> i32 {
    if schema > 0 {
        (e << schema) + CELLS[(schema - 1) as usize].within(bits)
    } else {
        // The power of two at or above the magnitude, then `2^-schema` of them per bucket.
        let power = e + i32::from(bits & FRACTION != 0);
        let shift = -schema;
        (power + (1 << shift) - 1) >> shift
    }
}

/// The bucket of a subnormal magnitude, or of infinity (the bucket past `f64::MAX`'s).
#[cold]
fn unusual_index(magnitude: f64, schema: i32) -> i32 {
    if magnitude.is_infinite() {
        return bucket_index(f64::MAX, schema) + 1;
    }
    // Scaled by 2^64 into the normal range.
    let bits = (magnitude * f64::from_bits(0x43F0_0000_0000_0000)).to_bits();
    index_of(bits, (bits >> 52) as i32 - 1023 - 64, schema)
}

/// The upper bound of bucket `index` at `schema`: `2^(index / 2^schema)`.
pub(crate) fn upper_bound(index: i32, schema: i32) -> f64 {
    if schema >= 0 {
        (f64::from(index) / f64::from(1u32 << schema)).exp2()
    } else {
        (f64::from(index) * f64::from(1u32 << -schema)).exp2()
    }
}

/// A schema and zero bucket.
#[derive(Clone, Copy, Debug)]
struct Resolution {
    schema: i32,
    zero_threshold: f64,
    /// With a zero bucket widened to a bucket's bound: that bucket's index; buckets up to it
    /// go to the zero bucket.
    zero_index: Option<i32>,
}

impl Resolution {
    fn of(table: &Table) -> Self {
        Resolution {
            schema: table.schema.load(Ordering::Relaxed),
            zero_threshold: f64::from_bits(table.zero_threshold.load(Ordering::Relaxed)),
            zero_index: None,
        }
    }

    /// The resolution at which `buckets` (at this one) fit in `max`: the schema lowered one
    /// step at a time (each step merges pairs of buckets), to -4 at the least; then the zero
    /// bucket widened to the bound of as many of the smallest buckets as must go.
    fn lowered(self, buckets: &[(i32, bool)], max: usize) -> Self {
        let count_at = |schema: i32| {
            let mut mapped: Vec<(i32, bool)> = buckets
                .iter()
                .map(|&(i, n)| (downscale(i, self.schema - schema), n))
                .collect();
            mapped.sort_unstable();
            mapped.dedup();
            mapped
        };
        let mut schema = self.schema;
        // One step at least: the table is over its limit.
        loop {
            schema = (schema - 1).max(MIN_SCHEMA.into());
            let mapped = count_at(schema);
            if mapped.len() <= max || schema == i32::from(MIN_SCHEMA) {
                let mut to = Resolution {
                    schema,
                    zero_threshold: self.zero_threshold,
                    zero_index: None,
                };
                if mapped.len() > max {
                    // The smallest magnitudes go to the zero bucket until `max` are left.
                    let mut magnitudes: Vec<i32> = mapped.iter().map(|b| b.0).collect();
                    magnitudes.sort_unstable();
                    magnitudes.dedup();
                    let keep = |limit: i32| mapped.iter().filter(|b| b.0 > limit).count();
                    let limit = magnitudes
                        .iter()
                        .copied()
                        .find(|&limit| keep(limit) <= max)
                        .unwrap_or(i32::MAX);
                    to.zero_index = Some(limit);
                    to.zero_threshold = upper_bound(limit, schema).max(self.zero_threshold);
                }
                return to;
            }
        }
    }

    /// Where bucket `index` at `from` goes at this resolution: a bucket, or the zero bucket.
    fn map(self, from: Resolution, index: i32) -> Option<i32> {
        let index = downscale(index, from.schema - self.schema);
        match self.zero_index {
            Some(limit) if index <= limit => None,
            _ => Some(index),
        }
    }
}

/// The bucket holding bucket `index` at a schema `steps` lower: `index / 2^steps`, rounded up.
fn downscale(index: i32, steps: i32) -> i32 {
    if steps <= 0 {
        return index;
    }
    (index + (1 << steps) - 1) >> steps
}

/// The buckets of a [`NativeHistogram`] at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeSnapshot {
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    negative: Vec<(i32, u64)>,
    positive: Vec<(i32, u64)>,
    sum: f64,
}

impl NativeSnapshot {
    /// The schema: bucket `i` reaches up to `2^(i / 2^schema)`.
    pub fn schema(&self) -> i32 {
        self.schema
    }

    /// The largest magnitude counted in the zero bucket.
    pub fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// The observations in the zero bucket.
    pub fn zero_count(&self) -> u64 {
        self.zero_count
    }

    /// The buckets above zero with observations, `(index, count)` in increasing order.
    pub fn positive(&self) -> &[(i32, u64)] {
        &self.positive
    }

    /// The buckets below zero with observations, `(index, count)` in increasing order of
    /// index (of magnitude): bucket `i` holds `-2^(i/2^schema) <= v < -2^((i-1)/2^schema)`.
    pub fn negative(&self) -> &[(i32, u64)] {
        &self.negative
    }

    /// The number of observations: the counts of every bucket, the zero bucket's included.
    pub fn count(&self) -> u64 {
        let sides = self.negative.iter().chain(&self.positive);
        self.zero_count + sides.map(|b| b.1).sum::<u64>()
    }

    /// The sum of the observations.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The buckets as a classic histogram's: `(upper bound, cumulative count)` for the
    /// buckets below zero from the most negative, the zero bucket, then those above, up to
    /// the last finite bound (the `+Inf` bucket, whose count is [`NativeSnapshot::count`],
    /// follows). The form the text formats and JSON write. The buckets of the infinities have
    /// no finite bound and are left out; their observations are in the counts after them.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut out = Vec::with_capacity(self.negative.len() + self.positive.len() + 1);
        let mut total = 0;
        let mut push = |bound: f64, count: u64| {
            total += count;
            if bound.is_finite() {
                out.push((bound, total));
            }
        };
        for &(index, count) in self.negative.iter().rev() {
            push(-upper_bound(index - 1, self.schema), count);
        }
        push(self.zero_threshold, self.zero_count);
        for &(index, count) in &self.positive {
            push(upper_bound(index, self.schema), count);
        }
        out
    }
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

    /// The bucket of `v` by its definition, in exact powers: the `i` with
    /// `2^((i-1)/2^s) < v <= 2^(i/2^s)`, found by a search over `upper_bound`.
    fn by_definition(v: f64, schema: i32) -> i32 {
        let guess = (v.log2() * f64::from(schema).exp2()).ceil() as i32;
        (guess - 2..=guess + 2)
            .find(|&i| upper_bound(i - 1, schema) < v && v <= upper_bound(i, schema))
            .unwrap()
    }

    #[test]
    fn buckets_hold_what_their_bounds_say() {
        let mut values = vec![1.0, 2.0, 0.5, 3.0, 1e-300, 1e300, 0.1, 1.5, 7.0, 1024.0];
        let mut x = 0.001;
        while x < 1e6 {
            values.push(x);
            x *= 1.0137;
        }
        for schema in -4..=8 {
            for &v in &values {
                assert_eq!(
                    bucket_index(v, schema),
                    by_definition(v, schema),
                    "{v} at {schema}"
                );
            }
        }
        // Powers of two end their buckets at every schema.
        for schema in -4..=8 {
            for e in [-32, -16, 0, 16, 48] {
                let i = bucket_index(f64::from(e).exp2(), schema);
                assert_eq!(
                    upper_bound(i, schema),
                    f64::from(e).exp2(),
                    "2^{e} at {schema}"
                );
            }
        }
        // The smallest and largest values, and the infinities past them.
        for schema in -4..=8 {
            let top = bucket_index(f64::MAX, schema);
            assert_eq!(bucket_index(f64::INFINITY, schema), top + 1);
            let (low, high) = (bucket_index(f64::from_bits(1), schema), top + 1);
            assert!(code(low, true) != 0 && decode(code(high, true)) == (high, true));
            assert!(decode(code(low, false)) == (low, false));
        }
    }

    #[test]
    fn lowering_the_schema_merges_pairs_of_buckets() {
        for steps in 1..4 {
            for i in -40..40 {
                let j = downscale(i, steps);
                let s = 3;
                // The bucket at the lower schema covers the one it came from.
                assert!(upper_bound(j, s - steps) >= upper_bound(i, s));
                assert!(upper_bound(j - 1, s - steps) <= upper_bound(i - 1, s));
            }
        }
    }

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
