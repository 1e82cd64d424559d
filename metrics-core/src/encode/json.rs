//! The `/metrics.json` format: one member per metric, sorted by name.
//!
//! One writer produces it, [`write`], streaming bytes straight into the output behind each
//! descriptor's escaped head. The pretty form and `serde::Serialize` read that output back
//! through `serde_json` into the serializer they are given ([`serialize`]), so that every form
//! of the document comes from the same bytes.

use std::io::{self, Write};

use serde::Serializer;
use serde::ser::Error as _;

use super::{
    Context, Layout, MetricEncoder, Out, Sorted, write_f64, write_i64_as_f64, write_u64_as_f64,
};
use crate::escape::{write_json_str, write_json_str_body};
use crate::label::{self, LabelSet, Stored};
use crate::metric::{MetricKind, Sample};
use crate::native::NativeHistogram;

/// Writes `metrics` as one compact JSON object, each name after the context's prefix (which
/// needs no escaping: it is made of the characters of a metric name). Constant labels are
/// not written: the document has no place for them.
pub(crate) fn write(
    w: &mut Out<'_>,
    metrics: &Sorted<'_>,
    context: &Context<'_>,
) -> io::Result<()> {
    let mut scratch = Vec::new();
    let mut keys = Vec::new();
    w.write_all(b"{")?;
    for (i, (descriptor, metric)) in metrics.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        let head = &descriptor.heads().json;
        match head.strip_prefix('"') {
            Some(rest) if !context.prefix.is_empty() => {
                w.put(b"\"");
                w.put(context.prefix.as_bytes());
                w.put(rest.as_bytes());
            }
            _ => w.put(head.as_bytes()),
        }
        descriptor.label_keys().fill(&mut keys);
        let mut encoder = MetricEncoder::new(w, Layout::Json, &keys, &mut scratch);
        metric.encode(&mut encoder)?;
        let written = encoder.written();
        match (keys.len(), written, descriptor.kind()) {
            (_, 0, _) => w.write_all(b"null")?,
            // The one series of an info metric is its whole value.
            (0, _, _) | (_, _, MetricKind::Info) => {}
            (1, _, _) => w.write_all(b"}}")?,
            _ => w.write_all(b"]")?,
        }
        w.write_all(b"}")?;
        w.checkpoint()?;
    }
    w.write_all(b"}")
}

/// Serializes `metrics` through `serializer` as the document [`write`] writes: written, then
/// read back by `serde_json` and handed over value by value, keys in the written order.
pub(crate) fn serialize<S: Serializer>(
    metrics: &Sorted<'_>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut out = Out::to_vec(Vec::new());
    write(&mut out, metrics, &Context::default()).map_err(S::Error::custom)?;
    let document = out.into_vec();
    let mut reader = serde_json::Deserializer::from_slice(&document);
    serde_transcode::transcode(&mut reader, serializer)
}

/// Writes one series given its label values: the value alone without keys, a member of the
/// `{"<key>":{...}}` object under one key, an element of the array under several. The
/// `first` series opens the object or array; [`write`] closes it.
pub(crate) fn write_series(
    w: &mut Out<'_>,
    keys: &[&str],
    values: &[&str],
    sample: Sample<'_>,
    first: bool,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    if let Sample::Info = sample {
        return write_info(w, keys, values);
    }
    match keys {
        [] => write_sample(w, sample, scratch)?,
        [key] => {
            if first {
                open_by_value(w, key)?;
            } else {
                w.write_all(b",")?;
            }
            write_json_str(w, values.first().copied().unwrap_or_default())?;
            w.write_all(b":")?;
            write_sample(w, sample, scratch)?;
        }
        keys => {
            w.write_all(if first { b"[{" } else { b",{" })?;
            for (key, value) in keys.iter().zip(values) {
                write_json_str(w, key)?;
                w.write_all(b":")?;
                write_json_str(w, value)?;
                w.write_all(b",")?;
            }
            w.write_all(b"\"@\":")?;
            write_sample(w, sample, scratch)?;
            w.write_all(b"}")?;
        }
    }
    w.checkpoint()
}

/// Writes the value of an info metric: its labels as an object, `{"<key>":"<value>",...}`.
fn write_info(w: &mut Out<'_>, keys: &[&str], values: &[&str]) -> io::Result<()> {
    w.write_all(b"{")?;
    for (i, (key, value)) in keys.iter().zip(values).enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_json_str(w, key)?;
        w.write_all(b":")?;
        write_json_str(w, value)?;
    }
    w.write_all(b"}")?;
    w.checkpoint()
}

/// Writes one series of a family as the series keeps its label values: under one key by
/// [`write_member`], compiled into the family's loop.
#[inline(always)]
pub(crate) fn write_stored<L: LabelSet>(
    w: &mut Out<'_>,
    keys: &[&str],
    labels: Stored<'_>,
    sample: Sample<'_>,
    first: bool,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    match keys {
        [key] => {
            if first {
                open_by_value(w, key)?;
            }
            write_member::<L>(w, labels, sample, first, scratch)
        }
        _ => label::with_values::<L, _>(labels.packed(), |values| {
            write_series(w, keys, values, sample, first, scratch)
        }),
    }
}

/// Opens the value of a one-key family: `{"<key>":{`.
fn open_by_value(w: &mut Out<'_>, key: &str) -> io::Result<()> {
    w.write_all(b"{")?;
    write_json_str(w, key)?;
    w.write_all(b":{")
}

/// Writes `"<value>":<sample>` of a one-key family, after a comma unless it is the `first`;
/// a plain value is copied unscanned. The object around the members is the caller's.
#[inline]
pub(crate) fn write_member<L: LabelSet>(
    w: &mut Out<'_>,
    labels: Stored<'_>,
    sample: Sample<'_>,
    first: bool,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    w.put(if first { b"\"" } else { b",\"" });
    let value = label::unpack::<L>(labels.packed())
        .next()
        .unwrap_or_default();
    if L::ARITY == 1 && labels.plain() {
        // The value as it is kept, by fixed-size copies.
        w.put_label(value);
    } else if labels.plain() {
        w.put(value);
    } else {
        write_json_str_body(w, value)?;
    }
    w.put(b"\":");
    match sample {
        Sample::Counter(v) => write_u64_as_f64(w, v)?,
        Sample::Gauge(v) => write_i64_as_f64(w, v)?,
        _ => write_sample(w, sample, scratch)?,
    }
    w.checkpoint()
}

fn write_sample(w: &mut Out<'_>, sample: Sample<'_>, scratch: &mut Vec<u64>) -> io::Result<()> {
    match sample {
        Sample::Counter(v) => write_u64_as_f64(w, v),
        Sample::Gauge(v) => write_i64_as_f64(w, v),
        Sample::FloatCounter(v) | Sample::FloatGauge(v) => write_f64(w, v, b"null"),
        Sample::Info => w.write_all(b"1.0"),
        Sample::Histogram(h) => {
            let sum = h.load_cumulative(scratch);
            let count = scratch.last().copied().unwrap_or(0);
            w.write_all(b"{\"avg\":")?;
            write_f64(w, average(sum, count), b"null")?;
            w.write_all(b",\"bucket\":[")?;
            for (i, (le, cumulative)) in h.buckets().bounds().iter().zip(&*scratch).enumerate() {
                w.write_all(if i == 0 { b"[" } else { b",[" })?;
                write_f64(w, *le, b"null")?;
                w.write_all(b",")?;
                w.put_u64(*cumulative);
                w.write_all(b"]")?;
            }
            w.write_all(b"],\"count\":")?;
            w.put_u64(count);
            w.write_all(b",\"sum\":")?;
            write_f64(w, sum, b"null")?;
            w.write_all(b"}")
        }
        Sample::NativeHistogram(h) => write_native(w, h),
    }
}

/// A native histogram as a classic one (its buckets with observations, cumulative, by upper
/// bound), with its schema and zero bucket besides.
fn write_native(w: &mut Out<'_>, h: &NativeHistogram) -> io::Result<()> {
    let snapshot = h.snapshot();
    let count = snapshot.count();
    w.write_all(b"{\"avg\":")?;
    write_f64(w, average(snapshot.sum(), count), b"null")?;
    w.write_all(b",\"bucket\":[")?;
    for (i, (le, cumulative)) in snapshot.cumulative().into_iter().enumerate() {
        w.write_all(if i == 0 { b"[" } else { b",[" })?;
        write_f64(w, le, b"null")?;
        w.write_all(b",")?;
        w.put_u64(cumulative);
        w.write_all(b"]")?;
    }
    w.write_all(b"],\"count\":")?;
    w.put_u64(count);
    w.write_all(b",\"schema\":")?;
    w.write_all(itoa::Buffer::new().format(snapshot.schema()).as_bytes())?;
    w.write_all(b",\"sum\":")?;
    write_f64(w, snapshot.sum(), b"null")?;
    w.write_all(b",\"zero_count\":")?;
    w.put_u64(snapshot.zero_count());
    w.write_all(b",\"zero_threshold\":")?;
    write_f64(w, snapshot.zero_threshold(), b"null")?;
    w.write_all(b"}")
}

/// `sum / count`, NaN (written `null`) while there are no observations.
fn average(sum: f64, count: u64) -> f64 {
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

#[cfg(test)]
mod tests {
    use super::{Out, write_member};
    use crate::encode::values_of_every_length;
    use crate::metric::Sample;

    #[test]
    fn members_are_whole_for_every_length_of_value() {
        let values = values_of_every_length(b"");
        let mut out = Out::to_vec(b"{".to_vec());
        for (i, (_, stored)) in values.iter().enumerate() {
            let sample = Sample::Gauge(-(i as i64));
            write_member::<String>(&mut out, stored.stored(), sample, i == 0, &mut Vec::new())
                .unwrap();
        }
        out.put(b"}");
        let text = String::from_utf8(out.into_vec()).unwrap();
        let parsed: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.len(), values.len(), "{text}");
        for (i, (value, _)) in values.iter().enumerate() {
            assert_eq!(parsed[value].as_f64(), Some(-(i as f64)), "{value:?}");
        }
    }
}
