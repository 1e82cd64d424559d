//! The histogram and its bucket bounds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use std::time::Instant;

use crate::atomic_f64::add_f64;
use crate::error::{BucketsError, ExemplarError};
use crate::exemplar::{self, Exemplar};

/// The default upper bounds, in seconds, as used by the Prometheus client libraries.
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The upper bounds of a histogram's buckets: finite and strictly increasing.
///
/// The `+Inf` bucket is implied and never listed.
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets {
    bounds: Arc<[f64]>,
}

impl Buckets {
    /// Checks and takes the given upper bounds.
    ///
    /// ```
    /// use meterstick_core::Buckets;
    /// assert!(Buckets::new(vec![0.1, 1.0, 10.0]).is_ok());
    /// assert!(Buckets::new(vec![1.0, 0.1]).is_err());
    /// ```
    pub fn new(bounds: impl Into<Vec<f64>>) -> Result<Self, BucketsError> {
        let bounds = bounds.into();
        check_bounds(&bounds)?;
        Ok(Buckets {
            bounds: bounds.into(),
        })
    }

    /// `count` bounds starting at `start`, each `factor` times the one before.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, BucketsError> {
        Buckets::new(
            std::iter::successors(Some(start), |b| Some(b * factor))
                .take(count)
                .collect::<Vec<_>>(),
        )
    }

    /// `count` bounds starting at `start`, each `width` above the one before.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, BucketsError> {
        Buckets::new(
            (0..count)
                .map(|i| start + width * i as f64)
                .collect::<Vec<_>>(),
        )
    }

    /// The upper bounds, without `+Inf`.
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// Bounds already checked by `#[derive(Metrics)]` at compile time.
    pub(crate) fn from_checked(bounds: &[f64]) -> Self {
        debug_assert!(check_bounds(bounds).is_ok());
        Buckets {
            bounds: bounds.into(),
        }
    }
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets::from_checked(DEFAULT_BUCKETS)
    }
}

fn check_bounds(bounds: &[f64]) -> Result<(), BucketsError> {
    if bounds.is_empty() {
        return Err(BucketsError::Empty);
    }
    if let Some(&bad) = bounds.iter().find(|b| !b.is_finite()) {
        return Err(BucketsError::NotFinite(bad));
    }
    if let Some(w) = bounds.windows(2).find(|w| w[0] >= w[1]) {
        return Err(BucketsError::NotIncreasing(w[0], w[1]));
    }
    Ok(())
}

/// A distribution of observed values: a count per bucket, their sum and their number.
///
/// `observe` is two relaxed atomic operations (the bucket, then the sum). The count is not kept
/// apart: it is the sum of the buckets, so an export always shows a `count` equal to its `+Inf`
/// bucket.
#[derive(Debug)]
pub struct Histogram {
    buckets: Buckets,
    // One more than the bounds: the last one is `+Inf`. Not cumulative; exports add them up.
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl Histogram {
    /// Creates an empty histogram with the given buckets.
    pub fn new(buckets: Buckets) -> Self {
        let counts = (0..=buckets.bounds.len())
            .map(|_| AtomicU64::new(0))
            .collect();
        Histogram {
            buckets,
            counts,
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    /// Records one observation of `v`.
    ///
    /// NaN lands in the `+Inf` bucket and makes the sum NaN, as in the Prometheus clients.
    #[inline]
    pub fn observe(&self, v: f64) {
        self.counts[self.bucket_of(v)].fetch_add(1, Ordering::Relaxed);
        add_f64(&self.sum, v);
    }

    /// Records one observation of `v` and keeps `labels` (such as `[("trace_id", id)]`) as the
    /// latest exemplar of the bucket `v` falls in, with the time and `v`. OpenMetrics and the
    /// protobuf format write it on that bucket.
    ///
    /// The observation is always recorded; the exemplar is refused as
    /// [`Counter::inc_with_exemplar`](crate::Counter::inc_with_exemplar) says.
    ///
    /// ```
    /// # use meterstick_core::Histogram;
    /// let latency = Histogram::default();
    /// latency.observe_with_exemplar(0.3, &[("trace_id", "4bf92f3577b34da6")]).unwrap();
    /// // 0.3 falls in the bucket up to 0.5, the seventh.
    /// assert_eq!(latency.exemplar(6).unwrap().value(), 0.3);
    /// ```
    pub fn observe_with_exemplar(
        &self,
        v: f64,
        labels: &[(&str, &str)],
    ) -> Result<(), ExemplarError> {
        let bucket = self.bucket_of(v);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        add_f64(&self.sum, v);
        exemplar::record(self.address(), bucket, self.counts.len(), v, labels)
    }

    /// The latest exemplar of bucket `bucket` (in the order of the bounds, `+Inf` last), if it
    /// has had one.
    pub fn exemplar(&self, bucket: usize) -> Option<Arc<Exemplar>> {
        exemplar::latest(self.address(), bucket)
    }

    /// Whether any bucket has an exemplar: checked by an export once per series.
    pub(crate) fn has_exemplars(&self) -> bool {
        exemplar::any(self.address())
    }

    /// Forgets any exemplar kept under this histogram's address.
    #[inline]
    pub(crate) fn forget_exemplars(&self) {
        exemplar::forget(self.address());
    }

    fn address(&self) -> usize {
        self as *const Self as usize
    }

    /// The bucket `v` falls in: the first whose bound is at least `v`; NaN in `+Inf`.
    #[inline]
    fn bucket_of(&self, v: f64) -> usize {
        let bounds = self.buckets.bounds();
        if v.is_nan() {
            bounds.len()
        } else {
            bounds.partition_point(|&b| b < v)
        }
    }

    /// Starts a timer that records the seconds it ran for when it is dropped, or at
    /// [`HistogramTimer::stop`]; [`HistogramTimer::discard`] records nothing.
    ///
    /// ```
    /// # use meterstick_core::Histogram;
    /// let latency = Histogram::default();
    /// {
    ///     let _timer = latency.start_timer();
    ///     // the work being timed
    /// }
    /// assert_eq!(latency.count(), 1);
    /// let seconds = latency.start_timer().stop();
    /// assert!(seconds >= 0.0);
    /// latency.start_timer().discard();
    /// assert_eq!(latency.count(), 2);
    /// ```
    #[must_use = "the timer records when it is dropped: dropped at once, it records about zero"]
    pub fn start_timer(&self) -> HistogramTimer<'_> {
        HistogramTimer {
            histogram: self,
            start: Instant::now(),
            recording: true,
        }
    }

    /// Runs `f`, records how many seconds it took, and returns its value. A panic in `f` is
    /// recorded too, as it unwinds.
    ///
    /// ```
    /// # use meterstick_core::Histogram;
    /// let latency = Histogram::default();
    /// let answer = latency.time(|| 6 * 7);
    /// assert_eq!((answer, latency.count()), (42, 1));
    /// ```
    pub fn time<R>(&self, f: impl FnOnce() -> R) -> R {
        let _timer = self.start_timer();
        f()
    }

    /// The buckets this histogram counts into.
    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The sum of all observations.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.sum.load(Ordering::Relaxed))
    }

    /// Fills `out` with the cumulative count of each bucket, `+Inf` last (so the last is the
    /// count), and returns the sum. Encoders reuse `out` from one histogram to the next.
    pub fn load_cumulative(&self, out: &mut Vec<u64>) -> f64 {
        out.clear();
        let mut total = 0u64;
        out.extend(self.counts.iter().map(|c| {
            total = total.wrapping_add(c.load(Ordering::Relaxed));
            total
        }));
        self.sum()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new(Buckets::default())
    }
}

impl Drop for Histogram {
    fn drop(&mut self) {
        exemplar::forget(self.address());
    }
}

/// A running timer of a [`Histogram`], from [`Histogram::start_timer`]: records the seconds
/// elapsed when dropped, unless it was stopped or discarded.
#[derive(Debug)]
pub struct HistogramTimer<'a> {
    histogram: &'a Histogram,
    start: Instant,
    recording: bool,
}

impl HistogramTimer<'_> {
    /// Records the seconds elapsed since the timer started, and returns them.
    pub fn stop(mut self) -> f64 {
        self.record()
    }

    /// Stops the timer without recording anything.
    pub fn discard(mut self) {
        self.recording = false;
    }

    /// The seconds elapsed so far, without stopping.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    fn record(&mut self) -> f64 {
        let seconds = self.elapsed();
        if std::mem::take(&mut self.recording) {
            self.histogram.observe(seconds);
        }
        seconds
    }
}

impl Drop for HistogramTimer<'_> {
    fn drop(&mut self) {
        self.record();
    }
}
