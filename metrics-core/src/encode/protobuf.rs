//! Prometheus's protobuf exposition format: one `io.prometheus.client.MetricFamily` message per
//! metric, each after its length as a varint (`encoding=delimited`). It is the format that
//! carries native histograms and the one Prometheus asks for first when they are turned on.
//!
//! The messages are written field by field, with `prost`'s varint coding, straight from the
//! metrics: no message structs are built. A message's length comes before it, so each is
//! written after one byte kept for its length, which is filled in when the message ends (and
//! widened, moving the message, in the rare case that it is 128 bytes or more). A family's
//! message is gathered whole before it is written, for the same reason.
//!
//! Field numbers are those of Prometheus's `metrics.proto` (package `io.prometheus.client`).

use std::io;

use prost::encoding::{encode_varint, encoded_len_varint};

use super::{Context, Layout, MetricEncoder, Out, Sorted};
use crate::exemplar::Exemplar;
use crate::histogram::Histogram;
use crate::label::{self, LabelSet, Stored};
use crate::metric::{Metric, MetricKind, Sample};
use crate::native::NativeHistogram;

/// The `Content-Type` of the protobuf format, as Prometheus asks for it.
pub const CONTENT_TYPE: &str = "application/vnd.google.protobuf; \
     proto=io.prometheus.client.MetricFamily; encoding=delimited";

use super::wire::{
    FIXED64, LEN, VARINT, begin, end, key, put_bytes, put_f64, put_key_len, put_label, put_varint,
    zigzag,
};

// `MetricFamily`.
const FAMILY_NAME: u8 = key(1, LEN);
const FAMILY_HELP: u8 = key(2, LEN);
const FAMILY_TYPE: u8 = key(3, VARINT);
const FAMILY_METRIC: u8 = key(4, LEN);
// `MetricType`.
const TYPE_COUNTER: u64 = 0;
const TYPE_GAUGE: u64 = 1;
const TYPE_HISTOGRAM: u64 = 4;
// `Metric`.
const METRIC_LABEL: u8 = key(1, LEN);
const METRIC_GAUGE: u8 = key(2, LEN);
const METRIC_COUNTER: u8 = key(3, LEN);
const METRIC_HISTOGRAM: u8 = key(7, LEN);
// `LabelPair`.
const LABEL_NAME: u8 = key(1, LEN);
const LABEL_VALUE: u8 = key(2, LEN);
// `Gauge` and `Counter`.
const VALUE: u8 = key(1, FIXED64);
const COUNTER_EXEMPLAR: u8 = key(2, LEN);
// `Histogram`.
const SAMPLE_COUNT: u8 = key(1, VARINT);
const SAMPLE_SUM: u8 = key(2, FIXED64);
const BUCKET: u8 = key(3, LEN);
const SCHEMA: u8 = key(5, VARINT);
const ZERO_THRESHOLD: u8 = key(6, FIXED64);
const ZERO_COUNT: u8 = key(7, VARINT);
const NEGATIVE_SPAN: u8 = key(9, LEN);
const NEGATIVE_DELTA: u8 = key(10, VARINT);
const POSITIVE_SPAN: u8 = key(12, LEN);
const POSITIVE_DELTA: u8 = key(13, VARINT);
// `Bucket`.
const CUMULATIVE_COUNT: u8 = key(1, VARINT);
const UPPER_BOUND: u8 = key(2, FIXED64);
const BUCKET_EXEMPLAR: u8 = key(3, LEN);
// `BucketSpan`.
const SPAN_OFFSET: u8 = key(1, VARINT);
const SPAN_LENGTH: u8 = key(2, VARINT);
// `Exemplar` and `google.protobuf.Timestamp`.
const EXEMPLAR_LABEL: u8 = key(1, LEN);
const EXEMPLAR_VALUE: u8 = key(2, FIXED64);
const EXEMPLAR_TIMESTAMP: u8 = key(3, LEN);
const SECONDS: u8 = key(1, VARINT);
const NANOS: u8 = key(2, VARINT);

/// What the `Metric` messages of one family share: the registry's constant labels, encoded
/// once as `LabelPair` fields, the label keys, and each key's `name` field of a `LabelPair`.
#[derive(Clone, Copy)]
pub(crate) struct Lines<'a> {
    constant: &'a [u8],
    keys: &'a [&'a str],
    key_fields: &'a [Vec<u8>],
}

/// Writes `metrics` as length-delimited `MetricFamily` messages. A metric without a series
/// (a family without any, an info metric not set) is left out: a family message without
/// metrics says nothing.
pub(crate) fn write(
    w: &mut Out<'_>,
    metrics: &Sorted<'_>,
    context: &Context<'_>,
) -> io::Result<()> {
    let mut constant = Vec::new();
    for (key, value) in context.constant {
        put_label(
            &mut constant,
            METRIC_LABEL,
            key.as_bytes(),
            value.as_bytes(),
        );
    }
    let mut family = Out::to_vec(Vec::new());
    let mut keys = Vec::new();
    let mut key_fields: Vec<Vec<u8>> = Vec::new();
    let mut scratch = Vec::new();
    for &(descriptor, metric) in metrics {
        family.buf.clear();
        let name = &descriptor.heads().sample_name;
        put_key_len(
            &mut family.buf,
            FAMILY_NAME,
            context.prefix.len() + name.len(),
        );
        family.put(context.prefix.as_bytes());
        family.put(name.as_bytes());
        put_bytes(&mut family.buf, FAMILY_HELP, descriptor.help().as_bytes());
        let kind = match descriptor.kind() {
            MetricKind::Counter => TYPE_COUNTER,
            MetricKind::Gauge | MetricKind::Info => TYPE_GAUGE,
            MetricKind::Histogram => TYPE_HISTOGRAM,
        };
        family.buf.push(FAMILY_TYPE);
        encode_varint(kind, &mut family.buf);
        descriptor.label_keys().fill(&mut keys);
        key_fields.clear();
        key_fields.extend(keys.iter().map(|key| {
            let mut field = Vec::new();
            put_bytes(&mut field, LABEL_NAME, key.as_bytes());
            field
        }));
        let lines = Lines {
            constant: &constant,
            keys: &keys,
            key_fields: &key_fields,
        };
        let mut encoder =
            MetricEncoder::new(&mut family, Layout::Protobuf(lines), &keys, &mut scratch);
        metric.encode(&mut encoder)?;
        if encoder.written() == 0 {
            continue;
        }
        encode_varint(family.buf.len() as u64, &mut w.buf);
        w.put(&family.buf);
        w.checkpoint()?;
    }
    Ok(())
}

/// Writes the `Metric` message of one series given its label values.
pub(crate) fn write_series(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    values: &[&str],
    sample: Sample<'_>,
    exemplar: Option<&Exemplar>,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    let at = begin(&mut w.buf, FAMILY_METRIC);
    w.put(lines.constant);
    for (key, value) in lines.keys.iter().zip(values) {
        put_label(&mut w.buf, METRIC_LABEL, key.as_bytes(), value.as_bytes());
    }
    write_value(&mut w.buf, sample, exemplar, scratch);
    end(&mut w.buf, at);
    Ok(())
}

/// Writes the `Metric` message of one series of a family as the series keeps its label values.
/// Compiled into the family's loop: each label is a few copies, its key's field made once.
#[inline]
pub(crate) fn write_stored<L: LabelSet, M: Metric>(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    labels: Stored<'_>,
    metric: &M,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    let buf = &mut w.buf;
    let at = begin(buf, FAMILY_METRIC);
    buf.extend_from_slice(lines.constant);
    for (key, value) in lines
        .key_fields
        .iter()
        .zip(label::unpack::<L>(labels.packed()))
    {
        let len = key.len() + 1 + encoded_len_varint(value.len() as u64) + value.len();
        put_key_len(buf, METRIC_LABEL, len);
        buf.extend_from_slice(key);
        put_bytes(buf, LABEL_VALUE, value);
    }
    let sample = metric.sample();
    match (sample, metric.exemplar()) {
        (Sample::Counter(v), None) => put_number(buf, METRIC_COUNTER, v as f64),
        (Sample::FloatCounter(v), None) => put_number(buf, METRIC_COUNTER, v),
        (Sample::Gauge(v), _) => put_number(buf, METRIC_GAUGE, v as f64),
        (Sample::FloatGauge(v), _) => put_number(buf, METRIC_GAUGE, v),
        (sample, exemplar) => write_value(buf, sample, exemplar.as_deref(), scratch),
    }
    end(buf, at);
    Ok(())
}

/// A `Counter` or `Gauge` message of one value, as field `field`, in one copy.
#[inline(always)]
fn put_number(buf: &mut Vec<u8>, field: u8, v: f64) {
    let mut message = [field, 9, VALUE, 0, 0, 0, 0, 0, 0, 0, 0];
    message[3..].copy_from_slice(&v.to_le_bytes());
    buf.extend_from_slice(&message);
}

/// Writes the value of a series: a `Counter`, `Gauge` or `Histogram` field of its `Metric`.
fn write_value(
    buf: &mut Vec<u8>,
    sample: Sample<'_>,
    exemplar: Option<&Exemplar>,
    scratch: &mut Vec<u64>,
) {
    match sample {
        Sample::Counter(v) => write_counter(buf, v as f64, exemplar),
        Sample::FloatCounter(v) => write_counter(buf, v, exemplar),
        Sample::Gauge(v) => write_gauge(buf, v as f64),
        Sample::FloatGauge(v) => write_gauge(buf, v),
        Sample::Info => write_gauge(buf, 1.0),
        Sample::Histogram(h) => write_histogram(buf, h, scratch),
        Sample::NativeHistogram(h) => write_native(buf, h),
    }
}

fn write_counter(buf: &mut Vec<u8>, v: f64, exemplar: Option<&Exemplar>) {
    let at = begin(buf, METRIC_COUNTER);
    put_f64(buf, VALUE, v);
    if let Some(exemplar) = exemplar {
        write_exemplar(buf, COUNTER_EXEMPLAR, exemplar);
    }
    end(buf, at);
}

fn write_gauge(buf: &mut Vec<u8>, v: f64) {
    put_number(buf, METRIC_GAUGE, v);
}

/// A classic histogram: its count, sum and every bucket, `+Inf` included, cumulative.
fn write_histogram(buf: &mut Vec<u8>, h: &Histogram, scratch: &mut Vec<u64>) {
    let sum = h.load_cumulative(scratch);
    let count = scratch.last().copied().unwrap_or(0);
    let exemplars = h.has_exemplars();
    let at = begin(buf, METRIC_HISTOGRAM);
    put_varint(buf, SAMPLE_COUNT, count);
    put_f64(buf, SAMPLE_SUM, sum);
    let bounds = h.buckets().bounds().iter().copied().chain([f64::INFINITY]);
    for (i, (bound, cumulative)) in bounds.zip(scratch.iter().copied()).enumerate() {
        let bucket = begin(buf, BUCKET);
        put_varint(buf, CUMULATIVE_COUNT, cumulative);
        put_f64(buf, UPPER_BOUND, bound);
        if let Some(exemplar) = exemplars.then(|| h.exemplar(i)).flatten() {
            write_exemplar(buf, BUCKET_EXEMPLAR, &exemplar);
        }
        end(buf, bucket);
    }
    end(buf, at);
}

/// A native histogram: its count, sum, schema, zero bucket and the spans and deltas of its
/// buckets on each side of zero.
fn write_native(buf: &mut Vec<u8>, h: &NativeHistogram) {
    let snapshot = h.snapshot();
    let at = begin(buf, METRIC_HISTOGRAM);
    put_varint(buf, SAMPLE_COUNT, snapshot.count());
    put_f64(buf, SAMPLE_SUM, snapshot.sum());
    buf.push(SCHEMA);
    encode_varint(zigzag(i64::from(snapshot.schema())), buf);
    put_f64(buf, ZERO_THRESHOLD, snapshot.zero_threshold());
    put_varint(buf, ZERO_COUNT, snapshot.zero_count());
    let sides = [
        (NEGATIVE_SPAN, NEGATIVE_DELTA, snapshot.negative()),
        (POSITIVE_SPAN, POSITIVE_DELTA, snapshot.positive()),
    ];
    for (span_field, delta_field, buckets) in sides {
        write_spans(buf, span_field, delta_field, buckets);
    }
    if snapshot.positive().is_empty() && snapshot.negative().is_empty() {
        // A span of no buckets: what tells a reader that a histogram without observations
        // outside the zero bucket is native, not classic.
        buf.extend_from_slice(&[POSITIVE_SPAN, 4, SPAN_OFFSET, 0, SPAN_LENGTH, 0]);
    }
    end(buf, at);
}

/// Writes the buckets of one side, `(index, count)` in increasing order of index, as spans of
/// consecutive indexes and the count of each bucket as its difference from the one before.
fn write_spans(buf: &mut Vec<u8>, span_field: u8, delta_field: u8, buckets: &[(i32, u64)]) {
    let mut previous_end = None::<i32>;
    let mut run_start = 0;
    for i in 0..buckets.len() {
        let index = buckets[i].0;
        let continues = i > 0 && buckets[i - 1].0 + 1 == index;
        if continues {
            continue;
        }
        if i > 0 {
            put_span(buf, span_field, &buckets[run_start..i], &mut previous_end);
        }
        run_start = i;
    }
    if !buckets.is_empty() {
        put_span(buf, span_field, &buckets[run_start..], &mut previous_end);
    }
    let mut previous = 0i64;
    for &(_, count) in buckets {
        let count = count as i64;
        buf.push(delta_field);
        encode_varint(zigzag(count.wrapping_sub(previous)), buf);
        previous = count;
    }
}

/// One `BucketSpan`: its offset from the end of the span before (from zero for the first).
fn put_span(buf: &mut Vec<u8>, field: u8, run: &[(i32, u64)], previous_end: &mut Option<i32>) {
    let first = run.first().map_or(0, |b| b.0);
    let offset = match *previous_end {
        None => first,
        Some(end) => first - end,
    };
    *previous_end = Some(first + run.len() as i32);
    let at = begin(buf, field);
    buf.push(SPAN_OFFSET);
    encode_varint(zigzag(i64::from(offset)), buf);
    put_varint(buf, SPAN_LENGTH, run.len() as u64);
    end(buf, at);
}

fn write_exemplar(buf: &mut Vec<u8>, field: u8, exemplar: &Exemplar) {
    let at = begin(buf, field);
    for (name, value) in exemplar.labels() {
        put_label(buf, EXEMPLAR_LABEL, name.as_bytes(), value.as_bytes());
    }
    put_f64(buf, EXEMPLAR_VALUE, exemplar.value());
    let (seconds, nanos) = exemplar.unix_time();
    let timestamp = begin(buf, EXEMPLAR_TIMESTAMP);
    // A `google.protobuf.Timestamp` leaves out a field at zero, as proto3 does. An `int64` is
    // coded as its two's complement bits.
    if seconds != 0 {
        put_varint(buf, SECONDS, seconds as u64);
    }
    if nanos != 0 {
        put_varint(buf, NANOS, u64::from(nanos));
    }
    end(buf, timestamp);
    end(buf, at);
}
