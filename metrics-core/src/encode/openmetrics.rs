//! The OpenMetrics 1.0 text format: the lines of [`super::text`], with counter and info
//! families named without the `_total` or `_info` their samples have, `# UNIT` where a unit was
//! declared, histogram sums only where they may be shown, and `# EOF` at the end.

use super::Out;
use super::text::{Flavor, comment};
use crate::descriptor::Descriptor;

/// The `Content-Type` of OpenMetrics text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// OpenMetrics, as a [`Flavor`] of the text lines.
pub(crate) struct OpenMetrics;

impl Flavor for OpenMetrics {
    const EXEMPLARS: bool = true;
    const END: &'static [u8] = b"# EOF\n";

    fn head(w: &mut Out<'_>, descriptor: &Descriptor, prefix: &str) {
        let heads = descriptor.heads();
        let name = &heads.openmetrics_name;
        comment(w, "HELP", prefix, name, &heads.openmetrics_help);
        comment(w, "TYPE", prefix, name, heads.openmetrics_type);
        if let Some(unit) = descriptor.unit() {
            comment(w, "UNIT", prefix, name, unit);
        }
    }

    /// OpenMetrics counts `_sum` as counter-like: it may not be negative or NaN, nor appear
    /// beside buckets below zero; `_count` goes only with `_sum`.
    fn keeps_sum(sum: f64, bounds: &[f64]) -> bool {
        !sum.is_nan() && sum >= 0.0 && bounds.iter().all(|b| *b >= 0.0)
    }
}
