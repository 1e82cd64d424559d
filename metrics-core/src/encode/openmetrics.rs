//! The OpenMetrics 1.0 text format: the lines of [`super::text`], with counter families named
//! without `_total` and their samples with it, histogram sums only where they may be shown, and
//! `# EOF` at the end.

use super::text::Flavor;
use crate::descriptor::Descriptor;

/// The `Content-Type` of OpenMetrics text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// OpenMetrics, as a [`Flavor`] of the text lines.
pub(crate) struct OpenMetrics;

impl Flavor for OpenMetrics {
    const COUNTER_SUFFIX: &'static str = "_total";
    const END: &'static [u8] = b"# EOF\n";

    fn head(descriptor: &Descriptor) -> (&str, &str) {
        (descriptor.openmetrics_head(), descriptor.openmetrics_name())
    }

    /// OpenMetrics counts `_sum` as counter-like: it may not be negative or NaN, nor appear
    /// beside buckets below zero; `_count` goes only with `_sum`.
    fn keeps_sum(sum: f64, bounds: &[f64]) -> bool {
        !sum.is_nan() && sum >= 0.0 && bounds.iter().all(|b| *b >= 0.0)
    }
}
