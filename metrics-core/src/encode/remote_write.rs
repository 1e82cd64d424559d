//! Prometheus remote write 1.0: the body of a request, a `prometheus.WriteRequest` (remote
//! write's `remote.proto` and `types.proto`) before its snappy compression, which whoever sends
//! it adds.
//!
//! Each sample the text formats would write is one `TimeSeries` of one `Sample`, every sample at
//! the one timestamp of the push: counters under their sample name (`_total`), info metrics as
//! `<name>_info` of value 1, histograms (native ones in their classic form) as `_bucket` samples
//! with `le`, `_sum` and `_count`. Labels come sorted by name, as the protocol requires, the
//! registry's constant labels and the pusher's among them; a label of empty value is left out,
//! as Prometheus stores it.

use std::io;

use prost::encoding::encoded_len_varint;

use super::wire::{FIXED64, LEN, VARINT, begin, end, key, put_f64, put_key_len, put_varint};
use super::{Context, Layout, MetricEncoder, Out, Sorted};
use crate::histogram::Histogram;
use crate::label::{self, LabelSet, Stored};
use crate::metric::Sample;
use crate::native::NativeHistogram;

// `WriteRequest`.
const TIMESERIES: u8 = key(1, LEN);
// `TimeSeries`.
const LABELS: u8 = key(1, LEN);
const SAMPLES: u8 = key(2, LEN);
// `Label`.
const LABEL_NAME: u8 = key(1, LEN);
const LABEL_VALUE: u8 = key(2, LEN);
// `Sample`.
const SAMPLE_VALUE: u8 = key(1, FIXED64);
const SAMPLE_TIMESTAMP: u8 = key(2, VARINT);

/// Where each label of a series comes from, in the order of the labels' names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    /// `__name__`.
    Name,
    /// The constant label at this place.
    Constant(usize),
    /// The metric's label key at this place.
    Key(usize),
    /// A histogram bucket's `le`.
    Le,
}

/// What the series of one metric share: its sample name, the labels in the order to write them,
/// the timestamp of the push, and, for a series of one sample, its labels made once: the runs of
/// `Label` messages that are the same on every series (`__name__`, the constant labels)
/// between the metric's own keys, and the end of its `Sample`.
#[derive(Clone, Copy)]
pub(crate) struct Lines<'a> {
    name: &'a str,
    order: &'a [(&'a str, Source)],
    constant: &'a [(String, String)],
    timestamp_ms: i64,
    parts: &'a [Part],
    /// `SAMPLES`, the `Sample`'s length, `SAMPLE_VALUE`: before the value's 8 bytes.
    sample_head: [u8; 3],
    /// The timestamp field: after the value.
    sample_tail: &'a [u8],
}

/// A piece of the labels of a series of one sample.
#[derive(Clone, Debug)]
enum Part {
    /// `Label` messages the same on every series.
    Fixed(Vec<u8>),
    /// The label of the metric's key at this place, its name field made once.
    Key { index: usize, name_field: Vec<u8> },
}

/// Writes `metrics` as the `TimeSeries` of one `WriteRequest`, at `timestamp_ms`, with the
/// context's constant labels (the registry's and the pusher's) on every series.
pub(crate) fn write(
    w: &mut Out<'_>,
    metrics: &Sorted<'_>,
    context: &Context<'_>,
    timestamp_ms: i64,
) -> io::Result<()> {
    let mut keys = Vec::new();
    let mut order: Vec<(&str, Source)> = Vec::new();
    let mut scratch = Vec::new();
    let mut name = String::new();
    let mut parts = Vec::new();
    let mut sample_tail = Vec::new();
    put_varint(&mut sample_tail, SAMPLE_TIMESTAMP, timestamp_ms as u64);
    let sample_len = 1 + 8 + sample_tail.len();
    for &(descriptor, metric) in metrics {
        name.clear();
        name.push_str(context.prefix);
        name.push_str(&descriptor.heads().sample_name);
        descriptor.label_keys().fill(&mut keys);
        order.clear();
        order.push(("__name__", Source::Name));
        order.extend(
            context
                .constant
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.as_str(), Source::Constant(i))),
        );
        order.extend(keys.iter().enumerate().map(|(i, k)| (*k, Source::Key(i))));
        order.push(("le", Source::Le));
        order.sort_by(|a, b| a.0.cmp(b.0));
        parts.clear();
        for &(label, source) in &order {
            let fixed = match source {
                Source::Name => Some(name.as_str()),
                Source::Constant(i) => Some(context.constant[i].1.as_str()),
                Source::Le => continue,
                Source::Key(index) => {
                    let mut name_field = Vec::new();
                    put_key_len(&mut name_field, LABEL_NAME, label.len());
                    name_field.extend_from_slice(label.as_bytes());
                    parts.push(Part::Key { index, name_field });
                    None
                }
            };
            if let Some(value) = fixed.filter(|v| !v.is_empty()) {
                if !matches!(parts.last(), Some(Part::Fixed(_))) {
                    parts.push(Part::Fixed(Vec::new()));
                }
                if let Some(Part::Fixed(bytes)) = parts.last_mut() {
                    put_label(bytes, label.as_bytes(), &[value.as_bytes()]);
                }
            }
        }
        let lines = Lines {
            name: &name,
            order: &order,
            constant: context.constant,
            timestamp_ms,
            parts: &parts,
            sample_head: [SAMPLES, sample_len as u8, SAMPLE_VALUE],
            sample_tail: &sample_tail,
        };
        let mut encoder = MetricEncoder::new(w, Layout::RemoteWrite(lines), &keys, &mut scratch);
        metric.encode(&mut encoder)?;
        w.checkpoint()?;
    }
    Ok(())
}

/// Writes the `TimeSeries` of one series given its label values: one, or a histogram's.
pub(crate) fn write_series(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    values: &[&str],
    sample: Sample<'_>,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    let one = |w: &mut Out<'_>, v: f64| {
        let value = |i: usize| values.get(i).copied().unwrap_or_default().as_bytes();
        put_one(&mut w.buf, lines, value, v)
    };
    match sample {
        Sample::Histogram(h) => write_histogram(w, lines, values, h, scratch),
        Sample::NativeHistogram(h) => write_native(w, lines, values, h),
        single => one(w, single.number().unwrap_or_default()),
    }
    w.checkpoint()
}

/// Writes the `TimeSeries` of one series of a family as the series keeps its label values: a
/// series of one sample in place, compiled into the family's loop.
#[inline]
pub(crate) fn write_stored<L: LabelSet>(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    labels: Stored<'_>,
    sample: Sample<'_>,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    let Some(v) = sample.number() else {
        return label::with_values::<L, _>(labels.packed(), |values| {
            write_series(w, lines, values, sample, scratch)
        });
    };
    let mut values = [&[][..]; crate::label::MAX_LABELS];
    for (slot, value) in values.iter_mut().zip(label::unpack::<L>(labels.packed())) {
        *slot = value;
    }
    put_one(
        &mut w.buf,
        lines,
        |i| values.get(i).copied().unwrap_or_default(),
        v,
    );
    w.checkpoint()
}

/// One `TimeSeries` of one sample under the metric's name, its length worked out first: the
/// labels made once, the series' own between them, the `Sample`.
#[inline]
fn put_one<'v>(buf: &mut Vec<u8>, lines: &Lines<'_>, value: impl Fn(usize) -> &'v [u8], v: f64) {
    // The length of a key's `Label`, less its field key and length.
    let inner = |name_field: &[u8], value: &[u8]| {
        name_field.len() + 1 + encoded_len_varint(value.len() as u64) + value.len()
    };
    let mut len = 2 + lines.sample_head[1] as usize;
    for part in lines.parts {
        len += match part {
            Part::Fixed(bytes) => bytes.len(),
            Part::Key { index, name_field } => match value(*index) {
                [] => 0,
                value => {
                    let inner = inner(name_field, value);
                    1 + encoded_len_varint(inner as u64) + inner
                }
            },
        };
    }
    buf.reserve(len + 5);
    put_key_len(buf, TIMESERIES, len);
    for part in lines.parts {
        match part {
            Part::Fixed(bytes) => buf.extend_from_slice(bytes),
            Part::Key { index, name_field } => {
                let value = value(*index);
                if value.is_empty() {
                    continue;
                }
                put_key_len(buf, LABELS, inner(name_field, value));
                buf.extend_from_slice(name_field);
                put_key_len(buf, LABEL_VALUE, value.len());
                buf.extend_from_slice(value);
            }
        }
    }
    buf.extend_from_slice(&lines.sample_head);
    buf.extend_from_slice(&v.to_le_bytes());
    buf.extend_from_slice(lines.sample_tail);
}

/// A `Label` message of `name` and a value made of `value` (its pieces joined).
fn put_label(buf: &mut Vec<u8>, name: &[u8], value: &[&[u8]]) {
    let value_len: usize = value.iter().map(|v| v.len()).sum();
    let label = begin(buf, LABELS);
    put_key_len(buf, LABEL_NAME, name.len());
    buf.extend_from_slice(name);
    put_key_len(buf, LABEL_VALUE, value_len);
    for piece in value {
        buf.extend_from_slice(piece);
    }
    end(buf, label);
}

fn write_histogram(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    values: &[&str],
    h: &Histogram,
    scratch: &mut Vec<u64>,
) {
    let sum = h.load_cumulative(scratch);
    let bounds = h.buckets().bounds();
    write_buckets(&mut w.buf, lines, values, bounds, scratch, sum);
}

fn write_native(w: &mut Out<'_>, lines: &Lines<'_>, values: &[&str], h: &NativeHistogram) {
    let snapshot = h.snapshot();
    let (bounds, cumulative) = snapshot.classic();
    write_buckets(
        &mut w.buf,
        lines,
        values,
        &bounds,
        &cumulative,
        snapshot.sum(),
    );
}

/// A histogram's `_bucket` series up to `le="+Inf"` (the last of `cumulative`), `_sum` and
/// `_count`.
fn write_buckets(
    buf: &mut Vec<u8>,
    lines: &Lines<'_>,
    values: &[&str],
    bounds: &[f64],
    cumulative: &[u64],
    sum: f64,
) {
    let mut le = Vec::new();
    for (bound, count) in bounds.iter().zip(cumulative) {
        le.clear();
        // Writing into a `Vec` cannot fail.
        let _ = super::text::write_text_f64(&mut le, *bound);
        put_series(buf, lines, values, "_bucket", Some(&le), *count as f64);
    }
    let count = cumulative.last().copied().unwrap_or(0) as f64;
    put_series(buf, lines, values, "_bucket", Some(b"+Inf"), count);
    put_series(buf, lines, values, "_sum", None, sum);
    put_series(buf, lines, values, "_count", None, count);
}

/// One `TimeSeries` of one sample: `<name><suffix>` with the metric's labels (and `le`, for a
/// bucket), sorted by name.
fn put_series(
    buf: &mut Vec<u8>,
    lines: &Lines<'_>,
    values: &[&str],
    suffix: &str,
    le: Option<&[u8]>,
    v: f64,
) {
    let series = begin(buf, TIMESERIES);
    for &(name, source) in lines.order {
        let (first, second): (&[u8], &[u8]) = match source {
            Source::Name => (lines.name.as_bytes(), suffix.as_bytes()),
            Source::Constant(i) => (lines.constant[i].1.as_bytes(), b""),
            Source::Key(i) => (values.get(i).copied().unwrap_or_default().as_bytes(), b""),
            Source::Le => match le {
                Some(le) => (le, b""),
                None => continue,
            },
        };
        if first.is_empty() && second.is_empty() {
            continue;
        }
        put_label(buf, name.as_bytes(), &[first, second]);
    }
    let sample = begin(buf, SAMPLES);
    put_f64(buf, SAMPLE_VALUE, v);
    // An `int64` is coded as its two's complement bits.
    put_varint(buf, SAMPLE_TIMESTAMP, lines.timestamp_ms as u64);
    end(buf, sample);
    end(buf, series);
}
