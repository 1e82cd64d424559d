//! What every metric type has in common: its kind, how it is built, and how it is read.

use std::sync::Arc;
use std::thread::LocalKey;

use crate::cache::ThreadTable;
use crate::counter::Counter;
use crate::exemplar::Exemplar;
use crate::gauge::Gauge;
use crate::histogram::{Buckets, Histogram};
use crate::native::{NativeHistogram, NativeOptions};
use crate::sharded::ShardedCounter;
use crate::value::{CounterValue, GaugeValue};

pub use crate::sample::Sample;

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
    /// Facts about the process or its build as the labels of one series of value 1 (`Info`).
    Info,
}

impl MetricKind {
    /// The lower-case name used by the output formats: `counter`, `gauge`, `histogram` or
    /// `info` (which the Prometheus text format writes as `gauge`).
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
            MetricKind::Info => "info",
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

    /// The latest exemplar of a counter, for the formats that write one.
    #[doc(hidden)]
    fn exemplar(&self) -> Option<Arc<Exemplar>> {
        None
    }

    /// Forgets what exemplars a metric that was at this address before left behind (one moved
    /// away after getting one): a new series starts without one.
    #[doc(hidden)]
    fn start_fresh(&self) {}

    /// The bucket bounds in `options`, for a histogram.
    #[doc(hidden)]
    fn declared_buckets(options: &Self::Options) -> Option<&[f64]> {
        let _ = options;
        None
    }
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

/// Makes a counter or gauge of each value type a [`Metric`] with its own per-thread table.
macro_rules! value_metric {
    ($($t:ty => $kind:ident, $value:ident),*) => {$(
        impl Metric for $t {
            type Options = ();
            const KIND: MetricKind = MetricKind::$kind;

            fn with_options(_: &()) -> Self {
                <$t>::new()
            }

            #[inline]
            fn sample(&self) -> Sample<'_> {
                $value::sample(self.get())
            }

            value_metric!(@exemplar $kind);
        }

        thread_table!($t);
    )*};
    (@exemplar Counter) => {
        #[inline]
        fn exemplar(&self) -> Option<Arc<Exemplar>> {
            Counter::exemplar(self)
        }

        #[inline]
        fn start_fresh(&self) {
            self.forget_exemplars();
        }
    };
    (@exemplar Gauge) => {};
}

value_metric!(
    Counter<u64> => Counter, CounterValue,
    Counter<f64> => Counter, CounterValue,
    Gauge<i64> => Gauge, GaugeValue,
    Gauge<f64> => Gauge, GaugeValue
);

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

    fn declared_buckets(buckets: &Buckets) -> Option<&[f64]> {
        Some(buckets.bounds())
    }

    fn start_fresh(&self) {
        self.forget_exemplars();
    }
}

thread_table!(Histogram);

impl Metric for NativeHistogram {
    type Options = NativeOptions;
    const KIND: MetricKind = MetricKind::Histogram;

    fn with_options(options: &NativeOptions) -> Self {
        NativeHistogram::new(*options)
    }

    fn sample(&self) -> Sample<'_> {
        Sample::NativeHistogram(self)
    }
}

thread_table!(NativeHistogram);
