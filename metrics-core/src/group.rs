//! Metric groups: the visitor that `#[derive(Metrics)]` implements, and how each metric type is
//! handed to the encoders through it.

use std::io;

use crate::callback::{CounterFn, GaugeFn};
use crate::counter::Counter;
use crate::descriptor::Descriptor;
use crate::encode::{EncodeMetric, MetricEncoder, Sorted, SortedSeries};
use crate::family::Family;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::info::Info;
use crate::label::{self, LabelSet, Stored};
use crate::metric::{Metric, Sample};
use crate::native::NativeHistogram;
use crate::sharded::ShardedCounter;
use crate::value::{CounterValue, GaugeValue};

macro_rules! encode_single {
    ($($t:ty),*) => {$(
        impl EncodeMetric for $t {
            fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
                let exemplar = match encoder.writes_exemplars() {
                    true => Metric::exemplar(self),
                    false => None,
                };
                encoder.series_with_exemplar(&[], Metric::sample(self), exemplar.as_deref())
            }
        }
    )*};
}

encode_single!(
    Counter<u64>,
    Counter<f64>,
    Gauge<i64>,
    Gauge<f64>,
    Histogram,
    NativeHistogram,
    ShardedCounter
);

macro_rules! encode_callback {
    ($($t:ident: $bound:ident),*) => {$(
        impl<V: $bound> EncodeMetric for $t<V> {
            /// Nothing is written while the metric has no value.
            fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
                match self.sample() {
                    Some(sample) => encoder.single(sample),
                    None => Ok(()),
                }
            }
        }
    )*};
}

encode_callback!(CounterFn: CounterValue, GaugeFn: GaugeValue);

impl<L: LabelSet> EncodeMetric for Info<L> {
    /// One series of value 1 under the label values, once they are set.
    fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
        match self.packed() {
            Some(packed) => {
                label::with_values::<L, _>(&packed, |values| encoder.series(values, Sample::Info))
            }
            None => Ok(()),
        }
    }
}

impl<M: Metric, L: LabelSet> EncodeMetric for Family<M, L> {
    /// Through a loop over the sorted series compiled for this family's label and metric types.
    fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
        encoder.family(self)
    }

    fn series_limit(&self) -> Option<(usize, u64)> {
        Family::series_limit(self)
    }

    fn default_max_series(&self, max: usize) {
        Family::default_max_series(self, max)
    }
}

impl<M: Metric, L: LabelSet> SortedSeries for Family<M, L> {
    type Labels = L;
    type Metric = M;

    #[inline]
    fn for_each_sorted<F>(&self, f: F) -> io::Result<()>
    where
        F: FnMut(Stored<'_>, &M) -> io::Result<()>,
    {
        self.for_each_sorted_series(f)
    }
}

/// Receives each metric of a group in turn.
pub trait Visitor<'a> {
    /// Called once per metric, with its descriptor and the field itself.
    fn visit_metric(&mut self, descriptor: &'a Descriptor, metric: &'a dyn EncodeMetric);
}

impl<'a, F> Visitor<'a> for F
where
    F: FnMut(&'a Descriptor, &'a dyn EncodeMetric),
{
    fn visit_metric(&mut self, descriptor: &'a Descriptor, metric: &'a dyn EncodeMetric) {
        self(descriptor, metric)
    }
}

/// A struct of metrics; implemented by `#[derive(Metrics)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a group of metrics",
    label = "`register` takes a struct that derives `Metrics`",
    note = "declare the metric as a field of a struct with `#[derive(Metrics)]`, give the field a `///` help line, and register the struct: `registry.register(MyMetrics::new())`"
)]
pub trait MetricGroup: Send + Sync + 'static {
    /// Shows every metric of the group, nested groups included, to `visitor`.
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>);
}

/// Collects the metrics of `groups`, sorted by name.
pub(crate) fn collect<'a>(groups: impl IntoIterator<Item = &'a dyn MetricGroup>) -> Sorted<'a> {
    let mut out: Sorted<'a> = Vec::new();
    for group in groups {
        group.visit(&mut |d: &'a Descriptor, m: &'a dyn EncodeMetric| out.push((d, m)));
    }
    out.sort_unstable_by(|(a, _), (b, _)| a.name().cmp(b.name()));
    out
}

/// A metric registered at run time by name: a group of one, owning its descriptor.
pub(crate) struct Named<M> {
    pub(crate) descriptor: Descriptor,
    pub(crate) metric: std::sync::Arc<M>,
}

impl<M: EncodeMetric + 'static> MetricGroup for Named<M> {
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
        visitor.visit_metric(&self.descriptor, &*self.metric);
    }
}
