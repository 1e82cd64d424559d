//! The runtime of [meterstick](https://docs.rs/meterstick): metric types stored in atomics,
//! labeled families, the registry, and the encoders of every output format.
//!
//! Most programs use it through the `meterstick` crate, which adds `#[derive(Metrics)]` and the
//! user manual; everything here is re-exported there.

#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn, clippy::undocumented_unsafe_blocks)]

mod atomic_f64;
mod cache;
mod callback;
mod counter;
mod descriptor;
mod encode;
mod error;
mod escape;
mod exemplar;
mod family;
mod gauge;
mod global;
mod group;
mod histogram;
mod info;
mod label;
mod metric;
mod native;
#[cfg(feature = "process")]
pub mod process;
mod registry;
mod rules;
mod sample;
mod sharded;
mod shared;
mod sorted;
mod value;

pub use callback::{CounterFn, GaugeFn};
pub use counter::Counter;
pub use descriptor::{Descriptor, LabelKeys};
pub use encode::openmetrics::CONTENT_TYPE as OPENMETRICS_CONTENT_TYPE;
pub use encode::prometheus::CONTENT_TYPE as PROMETHEUS_CONTENT_TYPE;
pub use encode::protobuf::CONTENT_TYPE as PROTOBUF_CONTENT_TYPE;
pub use encode::{EncodeMetric, Format, JSON_CONTENT_TYPE, MetricEncoder};
pub use error::{BucketsError, ExemplarError, LabelKeyProblem, NativeOptionsError, RegistryError};
pub use exemplar::{Exemplar, MAX_EXEMPLAR_CHARS};
pub use family::{Family, Series};
pub use gauge::Gauge;
pub use global::Global;
pub use group::{MetricGroup, Visitor};
pub use histogram::{Buckets, DEFAULT_BUCKETS, Histogram, HistogramTimer};
pub use info::Info;
pub use label::{LabelSet, MAX_LABELS, OVERFLOW_LABEL_VALUE};
pub use metric::{Metric, MetricKind};
pub use native::{MAX_SCHEMA, MIN_SCHEMA, NativeHistogram, NativeOptions, NativeSnapshot};
pub use registry::{OVERFLOW_METRIC_NAME, Registry, Scrape};
pub use sample::Sample;
pub use sharded::ShardedCounter;
pub use value::{CounterValue, GaugeValue};

/// Used by generated code, not API: may change in any release.
#[doc(hidden)]
pub mod __private {
    use crate::{
        Buckets, Counter, CounterValue, EncodeMetric, Family, Gauge, GaugeValue, Histogram,
        LabelSet, Metric, MetricGroup, MetricKind, encode, group,
    };
    use crate::{NativeHistogram, NativeOptions};

    pub use serde;

    /// Serializes one group as the `/metrics.json` document.
    pub fn serialize_group<S: serde::Serializer>(
        group: &dyn MetricGroup,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        encode::json::serialize(&group::collect([group]), serializer)
    }

    /// A field type that the derive accepts as a metric, with what it can check at compile time.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a metric type",
        label = "a metric field must be a `Counter`, `ShardedCounter`, `Gauge`, `Histogram`, `Info<...>`, `Family<...>`, `GaugeFn` or `CounterFn`",
        note = "for a nested struct of metrics use `#[metric(flatten)]`; for other data, `#[metric(skip)]`"
    )]
    pub trait MetricField: EncodeMetric {
        /// The kind of metric this field exports.
        const KIND: MetricKind;
        /// The number of label keys; 0 for a metric without labels.
        const ARITY: usize;
    }

    macro_rules! single {
        ($($t:ty),*) => {$(
            impl MetricField for $t {
                const KIND: MetricKind = <$t as Metric>::KIND;
                const ARITY: usize = 0;
            }
        )*};
    }
    single!(
        Counter<u64>,
        Counter<f64>,
        Gauge<i64>,
        Gauge<f64>,
        Histogram,
        NativeHistogram,
        crate::ShardedCounter
    );

    impl<V: GaugeValue> MetricField for crate::GaugeFn<V> {
        const KIND: MetricKind = MetricKind::Gauge;
        const ARITY: usize = 0;
    }

    impl<V: CounterValue> MetricField for crate::CounterFn<V> {
        const KIND: MetricKind = MetricKind::Counter;
        const ARITY: usize = 0;
    }

    impl<L: LabelSet> MetricField for crate::Info<L> {
        const KIND: MetricKind = MetricKind::Info;
        const ARITY: usize = L::ARITY;
    }

    /// A family field configured by `#[metric(prune, max_series = N)]`.
    #[diagnostic::on_unimplemented(
        message = "`prune` and `max_series` apply to `Family` fields only, not `{Self}`"
    )]
    pub trait FamilyField: Sized {
        /// Applies the keys given in the attribute.
        fn configure(self, prune: bool, max_series: Option<usize>) -> Self;
    }

    impl<M: Metric, L: LabelSet> FamilyField for Family<M, L> {
        fn configure(self, prune: bool, max_series: Option<usize>) -> Self {
            let family = if prune { self.pruning() } else { self };
            match max_series {
                Some(max) => family.max_series(max),
                None => family,
            }
        }
    }

    /// A callback metric built by `#[metric(callback = path)]`.
    #[diagnostic::on_unimplemented(
        message = "`callback` applies to `GaugeFn` and `CounterFn` fields only, not `{Self}`"
    )]
    pub trait CallbackField {
        /// The value the callback returns.
        type Value;
        /// Builds the metric around `f`.
        fn from_fn(f: impl Fn() -> Self::Value + Send + Sync + 'static) -> Self;
    }

    impl<V: GaugeValue> CallbackField for crate::GaugeFn<V> {
        type Value = V;
        fn from_fn(f: impl Fn() -> V + Send + Sync + 'static) -> Self {
            crate::GaugeFn::with_fn(f)
        }
    }

    impl<V: CounterValue> CallbackField for crate::CounterFn<V> {
        type Value = V;
        fn from_fn(f: impl Fn() -> V + Send + Sync + 'static) -> Self {
            crate::CounterFn::with_fn(f)
        }
    }

    impl<M: Metric, L: LabelSet> MetricField for Family<M, L> {
        const KIND: MetricKind = M::KIND;
        const ARITY: usize = L::ARITY;
    }

    /// The field as the encoders see it; a type error here is spanned on the field.
    pub fn as_metric<T: MetricField>(field: &T) -> &dyn EncodeMetric {
        field
    }

    /// Whether field type `T` is a metric of `kind` with `arity` label keys.
    pub const fn field_matches<T: MetricField>(kind: MetricKind, arity: usize) -> bool {
        T::KIND as u8 == kind as u8 && T::ARITY == arity
    }

    /// A histogram field built with the buckets declared in `#[metric(buckets = [...])]`.
    pub trait HistogramField {
        /// Builds the field; `bounds` were checked at compile time.
        fn with_bounds(bounds: &'static [f64]) -> Self;
    }

    impl HistogramField for Histogram {
        fn with_bounds(bounds: &'static [f64]) -> Self {
            Histogram::new(Buckets::from_checked(bounds))
        }
    }

    impl<L: LabelSet> HistogramField for Family<Histogram, L> {
        fn with_bounds(bounds: &'static [f64]) -> Self {
            Family::with_options(Buckets::from_checked(bounds))
        }
    }

    /// A native histogram field, or a family of them, with options other than the default.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` is not a native histogram",
        label = "`schema`, `max_buckets` and `zero_threshold` are for native histograms",
        note = "declare the field as `NativeHistogram` or `Family<NativeHistogram, ...>`"
    )]
    pub trait NativeField {
        /// Builds the field; `options` were checked at compile time.
        fn with_native(options: NativeOptions) -> Self;
    }

    impl NativeField for NativeHistogram {
        fn with_native(options: NativeOptions) -> Self {
            NativeHistogram::new(options)
        }
    }

    impl<L: LabelSet> NativeField for Family<NativeHistogram, L> {
        fn with_native(options: NativeOptions) -> Self {
            Family::with_options(options)
        }
    }
}
