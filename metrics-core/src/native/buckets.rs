//! Where a value goes among the buckets of a native histogram: the bucket of a magnitude at a
//! schema, a bucket's bounds, and where a bucket goes when the resolution is lowered.

use std::sync::LazyLock;

use super::MIN_SCHEMA;

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
pub(super) fn bucket_index(magnitude: f64, schema: i32) -> i32 {
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
pub(super) struct Resolution {
    pub(super) schema: i32,
    pub(super) zero_threshold: f64,
    /// With a zero bucket widened to a bucket's bound: that bucket's index; buckets up to it
    /// go to the zero bucket.
    pub(super) zero_index: Option<i32>,
}

impl Resolution {
    /// The resolution at which `buckets` (at this one) fit in `max`: the schema lowered one
    /// step at a time (each step merges pairs of buckets), to -4 at the least; then the zero
    /// bucket widened to the bound of as many of the smallest buckets as must go.
    pub(super) fn lowered(self, buckets: &[(i32, bool)], max: usize) -> Self {
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
    pub(super) fn map(self, from: Resolution, index: i32) -> Option<i32> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::{code, decode};

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
}
