//! The OpenMetrics 1.0 text format: the Prometheus sample lines, with counter families named
//! without `_total`, counter samples with it, and `# EOF` at the end.

use std::io;

use super::Out;
use super::prometheus::{self, Flavor};
use crate::group::Sorted;

/// The `Content-Type` of OpenMetrics text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Writes `metrics` as an OpenMetrics exposition, `# EOF` included.
pub(crate) fn write(w: &mut Out<'_>, metrics: &Sorted<'_>) -> io::Result<()> {
    prometheus::write(w, metrics, Flavor::OpenMetrics)
}
