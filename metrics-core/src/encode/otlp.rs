//! OTLP: the body of an OpenTelemetry metrics export over HTTP, an
//! `ExportMetricsServiceRequest` (`opentelemetry/proto/collector/metrics/v1`), protobuf.
//!
//! One `ResourceMetrics` with the pusher's resource attributes, one `ScopeMetrics` of scope
//! `meterstick`, and one `Metric` per metric with at least one series: counters as monotonic
//! cumulative `Sum`s, gauges and info metrics as `Gauge`s, histograms as cumulative
//! `Histogram`s (counts per bucket, not cumulative across buckets), native histograms as
//! cumulative `ExponentialHistogram`s. Names are the declared ones (a counter without `_total`,
//! which an OpenTelemetry backend adds where it wants it). The registry's constant labels and
//! each series' labels are the data point's attributes, all strings.

use std::io;

use super::wire::{
    FIXED64, LEN, VARINT, begin, end, key, put_bytes, put_f64, put_fixed64, put_varint, zigzag,
};
use super::{Context, Layout, MetricEncoder, Out, Sorted};
use crate::histogram::Histogram;
use crate::label::{self, LabelSet, Stored};
use crate::metric::{MetricKind, Sample};
use crate::native::NativeHistogram;

const I64: u8 = FIXED64;
// `ExportMetricsServiceRequest`, `ResourceMetrics`, `ScopeMetrics`.
const RESOURCE_METRICS: u8 = key(1, LEN);
const RESOURCE: u8 = key(1, LEN);
const SCOPE_METRICS: u8 = key(2, LEN);
const SCOPE: u8 = key(1, LEN);
const METRICS: u8 = key(2, LEN);
// `Resource`, `InstrumentationScope`.
const RESOURCE_ATTRIBUTES: u8 = key(1, LEN);
const SCOPE_NAME: u8 = key(1, LEN);
const SCOPE_VERSION: u8 = key(2, LEN);
// `KeyValue`, `AnyValue`.
const KV_KEY: u8 = key(1, LEN);
const KV_VALUE: u8 = key(2, LEN);
const STRING_VALUE: u8 = key(1, LEN);
// `Metric`.
const NAME: u8 = key(1, LEN);
const DESCRIPTION: u8 = key(2, LEN);
const UNIT: u8 = key(3, LEN);
const GAUGE: u8 = key(5, LEN);
const SUM: u8 = key(7, LEN);
const HISTOGRAM: u8 = key(9, LEN);
const EXPONENTIAL_HISTOGRAM: u8 = key(10, LEN);
// `Gauge`, `Sum`, `Histogram`, `ExponentialHistogram`.
const DATA_POINTS: u8 = key(1, LEN);
const TEMPORALITY: u8 = key(2, VARINT);
const IS_MONOTONIC: u8 = key(3, VARINT);
const CUMULATIVE: u64 = 2;
// `NumberDataPoint`.
const NUMBER_ATTRIBUTES: u8 = key(7, LEN);
const START_TIME: u8 = key(2, I64);
const TIME: u8 = key(3, I64);
const AS_DOUBLE: u8 = key(4, I64);
// `HistogramDataPoint`.
const HISTOGRAM_ATTRIBUTES: u8 = key(9, LEN);
const COUNT: u8 = key(4, I64);
const HISTOGRAM_SUM: u8 = key(5, I64);
const BUCKET_COUNTS: u8 = key(6, LEN);
const EXPLICIT_BOUNDS: u8 = key(7, LEN);
// `ExponentialHistogramDataPoint` and its `Buckets`.
const EXPONENTIAL_ATTRIBUTES: u8 = key(1, LEN);
const SCALE: u8 = key(6, VARINT);
const ZERO_COUNT: u8 = key(7, I64);
const POSITIVE: u8 = key(8, LEN);
const NEGATIVE: u8 = key(9, LEN);
const ZERO_THRESHOLD: u8 = key(14, I64);
const OFFSET: u8 = key(1, VARINT);
const EXPONENTIAL_COUNTS: u8 = key(2, LEN);

/// What the data points of one metric share: the label keys, the constant labels, the times.
#[derive(Clone, Copy)]
pub(crate) struct Lines<'a> {
    keys: &'a [&'a str],
    constant: &'a [(String, String)],
    start_unix_nano: u64,
    unix_nano: u64,
}

/// The times of an export: when the counts started (the pusher's start) and now, in
/// nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Times {
    pub(crate) start_unix_nano: u64,
    pub(crate) unix_nano: u64,
}

/// Writes `metrics` as one `ExportMetricsServiceRequest`, with `resource` as the resource's
/// attributes.
pub(crate) fn write(
    w: &mut Out<'_>,
    metrics: &Sorted<'_>,
    context: &Context<'_>,
    resource: &[(String, String)],
    times: Times,
) -> io::Result<()> {
    let resource_metrics = begin(&mut w.buf, RESOURCE_METRICS);
    let at = begin(&mut w.buf, RESOURCE);
    for (k, v) in resource {
        put_attribute(&mut w.buf, RESOURCE_ATTRIBUTES, k, v);
    }
    end(&mut w.buf, at);
    let scope_metrics = begin(&mut w.buf, SCOPE_METRICS);
    let at = begin(&mut w.buf, SCOPE);
    put_bytes(&mut w.buf, SCOPE_NAME, b"meterstick");
    put_bytes(
        &mut w.buf,
        SCOPE_VERSION,
        env!("CARGO_PKG_VERSION").as_bytes(),
    );
    end(&mut w.buf, at);
    let mut keys = Vec::new();
    let mut scratch = Vec::new();
    for &(descriptor, metric) in metrics {
        let metric_start = w.buf.len();
        let at = begin(&mut w.buf, METRICS);
        let name = descriptor.name();
        put_key_text(&mut w.buf, NAME, &[context.prefix, name]);
        put_bytes(&mut w.buf, DESCRIPTION, descriptor.help().as_bytes());
        if let Some(unit) = descriptor.unit() {
            put_bytes(&mut w.buf, UNIT, unit.as_bytes());
        }
        let field = match (descriptor.kind(), descriptor.buckets()) {
            (MetricKind::Counter, _) => SUM,
            (MetricKind::Gauge | MetricKind::Info, _) => GAUGE,
            (MetricKind::Histogram, Some(_)) => HISTOGRAM,
            // A histogram without bounds is a native one.
            (MetricKind::Histogram, None) => EXPONENTIAL_HISTOGRAM,
        };
        let message = begin(&mut w.buf, field);
        descriptor.label_keys().fill(&mut keys);
        let lines = Lines {
            keys: &keys,
            constant: context.constant,
            start_unix_nano: times.start_unix_nano,
            unix_nano: times.unix_nano,
        };
        let mut encoder = MetricEncoder::new(w, Layout::Otlp(lines), &keys, &mut scratch);
        metric.encode(&mut encoder)?;
        if encoder.written() == 0 {
            // A metric without data points says nothing: left out.
            w.buf.truncate(metric_start);
            continue;
        }
        if field != GAUGE {
            put_varint(&mut w.buf, TEMPORALITY, CUMULATIVE);
        }
        if field == SUM {
            put_varint(&mut w.buf, IS_MONOTONIC, 1);
        }
        end(&mut w.buf, message);
        end(&mut w.buf, at);
        w.checkpoint()?;
    }
    end(&mut w.buf, scope_metrics);
    end(&mut w.buf, resource_metrics);
    Ok(())
}

/// Writes the data point of one series given its label values.
pub(crate) fn write_series(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    values: &[&str],
    sample: Sample<'_>,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    match sample {
        Sample::Histogram(h) => put_histogram(&mut w.buf, lines, values, h, scratch),
        Sample::NativeHistogram(h) => put_exponential(&mut w.buf, lines, values, h),
        one => put_number(&mut w.buf, lines, values, one.number().unwrap_or_default()),
    }
    w.checkpoint()
}

/// Writes the data point of one series of a family as the series keeps its label values.
#[inline]
pub(crate) fn write_stored<L: LabelSet>(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    labels: Stored<'_>,
    sample: Sample<'_>,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    label::with_values::<L, _>(labels.packed(), |values| {
        write_series(w, lines, values, sample, scratch)
    })
}

fn put_attributes(buf: &mut Vec<u8>, field: u8, lines: &Lines<'_>, values: &[&str]) {
    for (k, v) in lines.constant {
        put_attribute(buf, field, k, v);
    }
    for (k, v) in lines.keys.iter().zip(values) {
        put_attribute(buf, field, k, v);
    }
}

fn put_times(buf: &mut Vec<u8>, lines: &Lines<'_>) {
    put_fixed64(buf, START_TIME, lines.start_unix_nano);
    put_fixed64(buf, TIME, lines.unix_nano);
}

fn put_number(buf: &mut Vec<u8>, lines: &Lines<'_>, values: &[&str], v: f64) {
    let at = begin(buf, DATA_POINTS);
    put_attributes(buf, NUMBER_ATTRIBUTES, lines, values);
    put_times(buf, lines);
    put_f64(buf, AS_DOUBLE, v);
    end(buf, at);
}

fn put_histogram(
    buf: &mut Vec<u8>,
    lines: &Lines<'_>,
    values: &[&str],
    h: &Histogram,
    scratch: &mut Vec<u64>,
) {
    let sum = h.load_cumulative(scratch);
    let count = scratch.last().copied().unwrap_or(0);
    let at = begin(buf, DATA_POINTS);
    put_attributes(buf, HISTOGRAM_ATTRIBUTES, lines, values);
    put_times(buf, lines);
    put_fixed64(buf, COUNT, count);
    put_f64(buf, HISTOGRAM_SUM, sum);
    // Counts per bucket, the `+Inf` bucket last, as `fixed64`s, packed.
    let counts = begin(buf, BUCKET_COUNTS);
    let mut previous = 0;
    for cumulative in scratch.iter() {
        buf.extend_from_slice(&(cumulative - previous).to_le_bytes());
        previous = *cumulative;
    }
    end(buf, counts);
    let bounds = begin(buf, EXPLICIT_BOUNDS);
    for bound in h.buckets().bounds() {
        buf.extend_from_slice(&bound.to_le_bytes());
    }
    end(buf, bounds);
    end(buf, at);
}

/// A native histogram as an exponential one. Its schema is OpenTelemetry's scale; bucket `i`
/// of Prometheus's, `(2^((i-1)/2^s), 2^(i/2^s)]`, is bucket `i - 1` of OpenTelemetry's, and
/// the buckets of each side are written from the first with observations, every one up to the
/// last, those without observations as zeros.
fn put_exponential(buf: &mut Vec<u8>, lines: &Lines<'_>, values: &[&str], h: &NativeHistogram) {
    let snapshot = h.snapshot();
    let at = begin(buf, DATA_POINTS);
    put_attributes(buf, EXPONENTIAL_ATTRIBUTES, lines, values);
    put_times(buf, lines);
    put_fixed64(buf, COUNT, snapshot.count());
    put_f64(buf, HISTOGRAM_SUM, snapshot.sum());
    put_varint(buf, SCALE, zigzag(i64::from(snapshot.schema())));
    put_fixed64(buf, ZERO_COUNT, snapshot.zero_count());
    for (field, buckets) in [
        (POSITIVE, snapshot.positive()),
        (NEGATIVE, snapshot.negative()),
    ] {
        let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
            continue;
        };
        let side = begin(buf, field);
        put_varint(buf, OFFSET, zigzag(i64::from(first.0) - 1));
        let counts = begin(buf, EXPONENTIAL_COUNTS);
        let mut next = buckets.iter().peekable();
        for index in first.0..=last.0 {
            let count = match next.peek() {
                Some(&&(i, n)) if i == index => {
                    next.next();
                    n
                }
                _ => 0,
            };
            prost::encoding::encode_varint(count, buf);
        }
        end(buf, counts);
        end(buf, side);
    }
    put_f64(buf, ZERO_THRESHOLD, snapshot.zero_threshold());
    end(buf, at);
}

/// A `KeyValue` of a string value, as field `field`.
fn put_attribute(buf: &mut Vec<u8>, field: u8, key: &str, value: &str) {
    let at = begin(buf, field);
    put_bytes(buf, KV_KEY, key.as_bytes());
    let any = begin(buf, KV_VALUE);
    put_bytes(buf, STRING_VALUE, value.as_bytes());
    end(buf, any);
    end(buf, at);
}

/// A string field made of `parts`, joined.
fn put_key_text(buf: &mut Vec<u8>, field: u8, parts: &[&str]) {
    let len = parts.iter().map(|p| p.len()).sum();
    super::wire::put_key_len(buf, field, len);
    for part in parts {
        buf.extend_from_slice(part.as_bytes());
    }
}
