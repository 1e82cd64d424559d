//! The histogram and its bucket bounds.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::BucketsError;

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
        let bounds = self.buckets.bounds();
        let i = if v.is_nan() {
            bounds.len()
        } else {
            bounds.partition_point(|&b| b < v)
        };
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        let mut current = self.sum.load(Ordering::Relaxed);
        loop {
            let next = (f64::from_bits(current) + v).to_bits();
            match self.sum.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
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
