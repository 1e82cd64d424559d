//! What a native histogram's buckets hold at one moment.

use super::buckets::upper_bound;

/// The buckets of a [`NativeHistogram`](super::NativeHistogram) at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct NativeSnapshot {
    pub(super) schema: i32,
    pub(super) zero_threshold: f64,
    pub(super) zero_count: u64,
    pub(super) negative: Vec<(i32, u64)>,
    pub(super) positive: Vec<(i32, u64)>,
    pub(super) sum: f64,
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

    /// The classic form as a classic histogram's encoders take it: the finite bounds, and the
    /// cumulative counts, one more than the bounds, the last the count (`+Inf`).
    pub(crate) fn classic(&self) -> (Vec<f64>, Vec<u64>) {
        let (bounds, mut cumulative): (Vec<f64>, Vec<u64>) = self.cumulative().into_iter().unzip();
        cumulative.push(self.count());
        (bounds, cumulative)
    }
}
