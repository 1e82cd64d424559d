//! Prometheus remote write 1.0: the body of a request, a `prometheus.WriteRequest` (remote
//! write's `remote.proto` and `types.proto`) before its snappy compression, which whoever sends
//! it adds.
//!
//! Each sample the text formats would write is one `TimeSeries` of one `Sample`, every sample at
//! the one timestamp of the push: counters under their sample name (`_total`), info metrics as
//! `<name>_info` of value 1, histograms (native ones in their classic form) as `_bucket` samples
//! with `le`, `_sum` and `_count`. Labels come sorted by name, as the protocol requires, the
//! registry's constant labels and the pusher's among them; a label of empty value is left out,
//! as Prometheus stores it. A pusher's label named as one of a metric's keys is left off that
//! metric's series, which keep their own value (none, when it is empty).

use std::io;

use super::wire::{FIXED64, LEN, VARINT, begin, end, key, put_f64, put_key_len, put_varint};
use super::{Context, Layout, MetricEncoder, Out, Sorted, spare};
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
/// the timestamp of the push, and the [`Template`] of its series of one sample, when it has one.
#[derive(Clone, Copy)]
pub(crate) struct Lines<'a> {
    name: &'a str,
    order: &'a [(&'a str, Source)],
    constant: &'a [(String, String)],
    timestamp_ms: i64,
    template: Option<&'a Template>,
}

/// A metric's series of one sample made once but for its label values and value: the
/// `TimeSeries` as segments of bytes the same on every series, each but the last followed by
/// the value of one of the metric's keys, the last ending in the `Sample`. The lengths in a
/// segment that depend on the values are left zero, to be set in place.
///
/// A series is written from it by stores of 16 bytes and a few single bytes, straight into the
/// output buffer ([`spare`]), when each of its label values is short enough that its `Label`'s
/// length takes one byte and none is empty (an empty value leaves its label out); any other
/// series is written label by label.
#[derive(Debug)]
pub(crate) struct Template {
    segments: Vec<Segment>,
    /// The length of the segments together.
    len: usize,
    /// The most room a series takes in the output buffer, every store at its full size.
    room: usize,
}

#[derive(Debug)]
struct Segment {
    /// The bytes, zero-padded to whole chunks.
    chunks: Vec<[u8; 16]>,
    len: usize,
    next: Next,
}

/// What follows a [`Segment`].
#[derive(Clone, Copy, Debug)]
enum Next {
    /// The value of the key at `index`. The segment ends with the key's `Label` opened: its
    /// field key, its length (left zero), its name field of `name_field` bytes, the value's
    /// field key and length (left zero).
    Value { index: usize, name_field: usize },
    /// Nothing: the segment ends with the `Sample`, its value's eight bytes left zero, then
    /// `tail` bytes (the timestamp field).
    Sample { tail: usize },
}

/// The longest a key's `Label` (less its field key and length) can be for its length to take
/// one byte.
const SHORT_LABEL: usize = 0x7F;

impl Template {
    /// The template of the series of one sample under `name`, with labels in `order`; `None`
    /// when a key's name is too long for its `Label`'s length to take one byte.
    fn new(
        name: &str,
        order: &[(&str, Source)],
        constant: &[(String, String)],
        sample: &[u8],
    ) -> Option<Self> {
        let mut segments = Vec::new();
        let mut bytes = Vec::new();
        for &(label, source) in order {
            let value = match source {
                Source::Name => name,
                Source::Constant(i) => constant[i].1.as_str(),
                Source::Le => continue,
                Source::Key(index) => {
                    let name_field = 2 + label.len();
                    if name_field + 2 + 1 > SHORT_LABEL {
                        return None;
                    }
                    bytes.extend_from_slice(&[LABELS, 0, LABEL_NAME, label.len() as u8]);
                    bytes.extend_from_slice(label.as_bytes());
                    bytes.extend_from_slice(&[LABEL_VALUE, 0]);
                    segments.push(Segment::new(&bytes, Next::Value { index, name_field }));
                    bytes.clear();
                    continue;
                }
            };
            if !value.is_empty() {
                put_label(&mut bytes, label.as_bytes(), &[value.as_bytes()]);
            }
        }
        bytes.extend_from_slice(sample);
        let tail = sample.len() - 11;
        segments.push(Segment::new(&bytes, Next::Sample { tail }));
        let len = segments.iter().map(|s| s.len).sum();
        // The series' field key and length; each segment's chunks; each value's stores, of at
        // most 16 bytes past a whole number of 16 (or one word).
        let room = 8
            + segments.iter().map(|s| 16 * s.chunks.len()).sum::<usize>()
            + (segments.len() - 1) * SHORT_LABEL.next_multiple_of(16);
        // A series' length must take at most three bytes of varint (below 2^21).
        if room >= 1 << 20 {
            return None;
        }
        Some(Template {
            segments,
            len,
            room,
        })
    }

    /// Puts the series of label values `value(index)` and value `v` straight into `buf`;
    /// `false`, with nothing written, when a value is empty or too long.
    #[inline(always)]
    fn put<'v>(&self, buf: &mut Vec<u8>, value: &impl Fn(usize) -> &'v [u8], v: f64) -> bool {
        let mut len = self.len;
        for segment in &self.segments {
            if let Next::Value { index, name_field } = segment.next {
                let n = value(index).len();
                if n == 0 || name_field + 2 + n > SHORT_LABEL {
                    return false;
                }
                len += n;
            }
        }
        spare::append(buf, self.room, |s| {
            let (word, n) = key_varint(TIMESERIES, len);
            s.word(word, n);
            for segment in &self.segments {
                s.chunks(&segment.chunks, segment.len);
                match segment.next {
                    Next::Value { index, name_field } => {
                        let value = value(index);
                        let n = value.len();
                        // Both lengths take one byte (checked above).
                        s.set_back(name_field + 3, (name_field + 2 + n) as u8);
                        s.set_back(1, n as u8);
                        s.bytes(value);
                    }
                    Next::Sample { tail } => s.set_word_back(tail + 8, v.to_bits()),
                }
            }
            true
        })
    }
}

impl Segment {
    fn new(bytes: &[u8], next: Next) -> Self {
        let chunks = bytes
            .chunks(16)
            .map(|c| {
                let mut chunk = [0; 16];
                chunk[..c.len()].copy_from_slice(c);
                chunk
            })
            .collect();
        Segment {
            chunks,
            len: bytes.len(),
            next,
        }
    }
}

/// A field key and a length below 2^21, as one word and how many of its bytes count.
#[inline(always)]
fn key_varint(key: u8, len: usize) -> (u64, usize) {
    let (key, len) = (u64::from(key), len as u64);
    if len < 0x80 {
        (key | (len << 8), 2)
    } else if len < 0x4000 {
        (key | ((len & 0x7F | 0x80) << 8) | ((len >> 7) << 16), 3)
    } else {
        debug_assert!(len < 1 << 21);
        let low = (len & 0x7F | 0x80) | ((len >> 7 & 0x7F | 0x80) << 8);
        (key | (low << 8) | ((len >> 14) << 24), 4)
    }
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
    // The `Sample` of a series of one sample, its value left zero.
    let mut sample = vec![SAMPLES, 0, SAMPLE_VALUE, 0, 0, 0, 0, 0, 0, 0, 0];
    put_varint(&mut sample, SAMPLE_TIMESTAMP, timestamp_ms as u64);
    sample[1] = (sample.len() - 2) as u8;
    for &(descriptor, metric) in metrics {
        name.clear();
        name.push_str(context.prefix);
        name.push_str(&descriptor.heads().sample_name);
        descriptor.label_keys().fill(&mut keys);
        order.clear();
        order.push(("__name__", Source::Name));
        // A metric's own label wins over a pusher's label of the same name, as a series' label
        // does over Prometheus's external labels: a label given twice would have the receiver
        // refuse the whole request. (The registry refuses a key among its own constant labels.)
        order.extend(
            context
                .constant
                .iter()
                .enumerate()
                .filter(|(_, (k, _))| !keys.contains(&k.as_str()))
                .map(|(i, (k, _))| (k.as_str(), Source::Constant(i))),
        );
        order.extend(keys.iter().enumerate().map(|(i, k)| (*k, Source::Key(i))));
        order.push(("le", Source::Le));
        order.sort_by(|a, b| a.0.cmp(b.0));
        let template = Template::new(&name, &order, context.constant, &sample);
        let lines = Lines {
            name: &name,
            order: &order,
            constant: context.constant,
            timestamp_ms,
            template: template.as_ref(),
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
    match sample {
        Sample::Histogram(h) => write_histogram(w, lines, values, h, scratch),
        Sample::NativeHistogram(h) => write_native(w, lines, values, h),
        single => {
            let v = single.number().unwrap_or_default();
            let value = |i: usize| values.get(i).copied().unwrap_or_default().as_bytes();
            if !lines.template.is_some_and(|t| t.put(&mut w.buf, &value, v)) {
                put_series(&mut w.buf, lines, values, "", None, v);
            }
        }
    }
    w.checkpoint()
}

/// Writes the `TimeSeries` of one series of a family as the series keeps its label values: a
/// series of one sample from its template, compiled into the family's loop.
#[inline]
pub(crate) fn write_stored<L: LabelSet>(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    labels: Stored<'_>,
    sample: Sample<'_>,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    if let (Some(v), Some(template)) = (sample.number(), lines.template) {
        let done = if L::ARITY == 1 {
            // The one value is the whole of the packed values.
            template.put(&mut w.buf, &|_| labels.packed(), v)
        } else {
            let mut values = [&[][..]; crate::label::MAX_LABELS];
            for (slot, value) in values.iter_mut().zip(label::unpack::<L>(labels.packed())) {
                *slot = value;
            }
            let value = |i: usize| values.get(i).copied().unwrap_or_default();
            template.put(&mut w.buf, &value, v)
        };
        if done {
            return w.checkpoint();
        }
    }
    label::with_values::<L, _>(labels.packed(), |values| {
        write_series(w, lines, values, sample, scratch)
    })
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

#[cfg(test)]
mod tests {
    use prost::encoding::decode_varint;

    use crate::{Gauge, Registry};

    /// The fields of a message: each one's number and, for a length-delimited field, its
    /// bytes; for a `fixed64`, its eight; for a varint, its value's bytes, lowest first.
    fn fields(mut body: &[u8]) -> Vec<(u64, Vec<u8>)> {
        let mut fields = Vec::new();
        while !body.is_empty() {
            let key = decode_varint(&mut body).unwrap();
            let bytes = match key & 7 {
                0 => decode_varint(&mut body).unwrap().to_le_bytes().to_vec(),
                1 => {
                    let (value, rest) = body.split_at(8);
                    body = rest;
                    value.to_vec()
                }
                2 => {
                    let len = decode_varint(&mut body).unwrap() as usize;
                    let (value, rest) = body.split_at(len);
                    body = rest;
                    value.to_vec()
                }
                other => panic!("wire type {other}"),
            };
            fields.push((key >> 3, bytes));
        }
        fields
    }

    /// Values of every length around the template's stores and the one-byte lengths, from
    /// series that keep them (so that a store reading past a value reads past its allocation),
    /// under a key with a short name and one with a long one, give exactly their labels.
    #[test]
    fn series_are_whole_for_every_length_of_value() {
        let long = "r".repeat(100);
        let registry = Registry::with_labels([("region", long.as_str())]).unwrap();
        let key = "k".repeat(40);
        let family = registry
            .family::<Gauge, (String, String)>("f", "values", &["a", &key])
            .unwrap();
        let values: Vec<String> = (0..140)
            .map(|n| "v".repeat(n))
            .chain(["é".repeat(50), "\"\\\n".into()])
            .collect();
        for (i, value) in values.iter().enumerate() {
            family.set((value, &"w".repeat(i % 90)), i as i64);
        }
        let mut body = Vec::new();
        registry.write_remote_write(&[("instance".into(), "mx1".into())], 1_234, &mut body);
        let mut seen = 0;
        for (field, series) in fields(&body) {
            assert_eq!(field, 1);
            let mut labels = Vec::new();
            let mut sample = None;
            for (field, bytes) in fields(&series) {
                match field {
                    1 => {
                        let pair = fields(&bytes);
                        let text = |i: usize| String::from_utf8(pair[i].1.clone()).unwrap();
                        assert_eq!((pair[0].0, pair[1].0), (1, 2));
                        labels.push((text(0), text(1)));
                    }
                    2 => sample = Some(fields(&bytes)),
                    other => panic!("field {other} of a series"),
                }
            }
            let sample = sample.unwrap();
            let value = f64::from_le_bytes(sample[0].1.clone().try_into().unwrap());
            assert_eq!(sample[1], (2, 1_234u64.to_le_bytes().to_vec()));
            let i = value as usize;
            let mut expected = vec![
                ("__name__".to_owned(), "f".to_owned()),
                ("a".to_owned(), values[i].clone()),
                ("instance".to_owned(), "mx1".to_owned()),
                (key.clone(), "w".repeat(i % 90)),
                ("region".to_owned(), long.clone()),
            ];
            expected.retain(|(_, v)| !v.is_empty());
            assert_eq!(labels, expected, "series {i}");
            seen += 1;
        }
        assert_eq!(seen, values.len());
    }

    /// A pusher's label named as one of a metric's keys gives way to the series' own value, on
    /// series from the template and label by label alike; other metrics keep it.
    #[test]
    fn a_series_label_wins_over_a_pushed_label_of_its_name() {
        let registry = Registry::new();
        let family = registry
            .family::<Gauge, String>("f", "values", &["instance"])
            .unwrap();
        family.set("own", 1);
        family.set("", 2);
        registry.gauge("g", "one").unwrap().set(3);
        let mut body = Vec::new();
        registry.write_remote_write(&[("instance".into(), "pushed".into())], 1, &mut body);
        let mut labels = Vec::new();
        for (_, series) in fields(&body) {
            let mut one = Vec::new();
            for (field, bytes) in fields(&series) {
                if field == 1 {
                    let pair = fields(&bytes);
                    let text = |i: usize| String::from_utf8(pair[i].1.clone()).unwrap();
                    one.push((text(0), text(1)));
                }
            }
            labels.push(one);
        }
        let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            labels,
            [
                vec![pair("__name__", "f")],
                vec![pair("__name__", "f"), pair("instance", "own")],
                vec![pair("__name__", "g"), pair("instance", "pushed")],
            ]
        );
    }
}
