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

impl Sample<'_> {
    /// The value of a sample of one number, as the binary formats carry it (a double; integers
    /// exact up to 2^53): an info metric's is 1. `None` for a histogram.
    pub(crate) fn number(self) -> Option<f64> {
        match self {
            Sample::Counter(v) => Some(v as f64),
            Sample::Gauge(v) => Some(v as f64),
            Sample::FloatCounter(v) | Sample::FloatGauge(v) => Some(v),
            Sample::Info => Some(1.0),
            Sample::Histogram(_) | Sample::NativeHistogram(_) => None,
        }
    }
}
