//! What every metric type has in common: its kind, how it is built, and how it is read.

use std::thread::LocalKey;

use crate::cache::ThreadTable;
use crate::counter::Counter;
use crate::gauge::Gauge;
use crate::histogram::{Buckets, Histogram};
use crate::sharded::ShardedCounter;

pub(crate) use crate::shared::Shared;

/// The kind of a metric, as written in every format's `type` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// A monotonic count (`Counter`).
    Counter,
    /// A value that goes up and down (`Gauge`).
    Gauge,
    /// A distribution of observations in buckets (`Histogram`).
    Histogram,
}

impl MetricKind {
    /// The lower-case name used by every output format: `counter`, `gauge` or `histogram`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        }
    }
}

impl std::fmt::Display for MetricKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A metric type that a [`Family`](crate::Family) can hold one of per series: [`Counter`],
/// [`Gauge`], [`Histogram`] and [`ShardedCounter`]. Sealed: the family's per-thread lookup
/// tables are the crate's own business.
pub trait Metric: sealed::Cached + Send + Sync + 'static {
    /// What every series of a family is built from (the buckets of a histogram; nothing for the others).
    type Options: Clone + Send + Sync + 'static;

    /// The kind written in the output formats.
    const KIND: MetricKind;

    /// Builds a zeroed metric from the family's options.
    fn with_options(options: &Self::Options) -> Self;

    /// Reads the current value for an encoder.
    fn sample(&self) -> Sample<'_>;
}

pub(crate) mod sealed {
    use super::*;

    /// What only this crate's metric types have: a per-thread lookup table shared by every
    /// family of the type (`cache.rs`), reached as a `thread_local!` static with no lookup of
    /// its own.
    pub trait Cached: Sized {
        /// This thread's table of the type.
        fn thread_table() -> &'static LocalKey<ThreadTable<Shared<Self>>>;
    }
}

/// Gives a metric type of this crate its per-thread lookup table.
macro_rules! thread_table {
    ($t:ty) => {
        impl sealed::Cached for $t {
            #[inline(always)]
            fn thread_table() -> &'static LocalKey<ThreadTable<Shared<$t>>> {
                std::thread_local! {
                    static TABLE: ThreadTable<Shared<$t>> = const { ThreadTable::new() };
                }
                &TABLE
            }
        }
    };
}

/// The current value of one series, as an encoder sees it.
#[derive(Clone, Copy, Debug)]
pub enum Sample<'a> {
    /// A counter's total.
    Counter(u64),
    /// A gauge's value.
    Gauge(i64),
    /// A histogram, read by the encoder with [`Histogram::load_cumulative`].
    Histogram(&'a Histogram),
}

impl Metric for Counter {
    type Options = ();
    const KIND: MetricKind = MetricKind::Counter;

    fn with_options(_: &()) -> Self {
        Counter::new()
    }

    #[inline]
    fn sample(&self) -> Sample<'_> {
        Sample::Counter(self.get())
    }
}

thread_table!(Counter);

impl Metric for Gauge {
    type Options = ();
    const KIND: MetricKind = MetricKind::Gauge;

    fn with_options(_: &()) -> Self {
        Gauge::new()
    }

    #[inline]
    fn sample(&self) -> Sample<'_> {
        Sample::Gauge(self.get())
    }
}

thread_table!(Gauge);

impl Metric for ShardedCounter {
    type Options = ();
    const KIND: MetricKind = MetricKind::Counter;

    fn with_options(_: &()) -> Self {
        ShardedCounter::new()
    }

    fn sample(&self) -> Sample<'_> {
        Sample::Counter(self.get())
    }
}

thread_table!(ShardedCounter);

impl Metric for Histogram {
    type Options = Buckets;
    const KIND: MetricKind = MetricKind::Histogram;

    fn with_options(buckets: &Buckets) -> Self {
        Histogram::new(buckets.clone())
    }

    fn sample(&self) -> Sample<'_> {
        Sample::Histogram(self)
    }
}

thread_table!(Histogram);
