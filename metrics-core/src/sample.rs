//! What an encoder reads of one series.

use crate::histogram::Histogram;
use crate::native::NativeHistogram;

/// The current value of one series, as an encoder sees it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Sample<'a> {
    /// A counter's total.
    Counter(u64),
    /// A gauge's value.
    Gauge(i64),
    /// A float counter's total.
    FloatCounter(f64),
    /// A float gauge's value.
    FloatGauge(f64),
    /// A histogram, read by the encoder with [`Histogram::load_cumulative`].
    Histogram(&'a Histogram),
    /// A native histogram, read by the encoder with [`NativeHistogram::snapshot`].
    NativeHistogram(&'a NativeHistogram),
    /// An info metric's one series, whose value is always 1: its labels are the information.
    Info,
}
