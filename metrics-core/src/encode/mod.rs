//! The encoders: each writes one output format from the sorted metrics of some groups.

pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod openmetrics;
pub(crate) mod prometheus;

/// The `Content-Type` of `/metrics.json`.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// An output format of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The KumoMTA-style `/metrics.json` document, compact.
    Json,
    /// The Prometheus text exposition format, version 0.0.4.
    Prometheus,
    /// The OpenMetrics 1.0 text format.
    OpenMetrics,
}

impl Format {
    /// The `Content-Type` header of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON_CONTENT_TYPE,
            Format::Prometheus => prometheus::CONTENT_TYPE,
            Format::OpenMetrics => openmetrics::CONTENT_TYPE,
        }
    }

    /// Writes `metrics` in this format.
    pub(crate) fn write<W: Write + ?Sized>(
        self,
        w: &mut W,
        metrics: &crate::group::Sorted<'_>,
    ) -> io::Result<()> {
        match self {
            Format::Json => json::write(w, metrics),
            Format::Prometheus => prometheus::write(w, metrics, prometheus::Flavor::Prometheus),
            Format::OpenMetrics => openmetrics::write(w, metrics),
        }
    }
}

use std::io::{self, Write};

/// Writes a float the way `serde_json` writes an `f64` (shortest round-trip form, `.0` on whole
/// numbers), or `non_finite` for NaN and the infinities.
#[inline]
pub(crate) fn write_f64<W: Write + ?Sized>(w: &mut W, v: f64, non_finite: &[u8]) -> io::Result<()> {
    if v.is_finite() {
        w.write_all(zmij::Buffer::new().format_finite(v).as_bytes())
    } else {
        w.write_all(non_finite)
    }
}

/// Writes an unsigned integer in decimal.
#[inline]
pub(crate) fn write_u64<W: Write + ?Sized>(w: &mut W, v: u64) -> io::Result<()> {
    w.write_all(itoa::Buffer::new().format(v).as_bytes())
}
