//! The `/metrics.json` format: one member per metric, sorted by name.
//!
//! Two writers produce it: [`write`], which streams bytes straight into the output using the
//! descriptors' pre-escaped heads, and [`Metrics`], a `serde::Serialize` view used by
//! `serde_json::to_string(&group)` and by the pretty form. Tests hold them to the same bytes.

use std::io::{self, Write};

use serde::ser::{Error as _, Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};

use super::{Out, SeriesWriter, needs_json_escape, write_f64, write_i64_as_f64, write_u64_as_f64};
use crate::group::{Descriptor, EncodeMetric, Sorted};
use crate::histogram::Histogram;
use crate::label::{self, LabelSet, Stored};
use crate::metric::Sample;

/// Writes `metrics` as one compact JSON object.
pub(crate) fn write(w: &mut Out<'_>, metrics: &Sorted<'_>) -> io::Result<()> {
    let mut scratch = Vec::new();
    w.write_all(b"{")?;
    for (i, (descriptor, metric)) in metrics.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(descriptor.json_head().as_bytes())?;
        write_value(w, descriptor, *metric, &mut scratch)?;
        w.write_all(b"}")?;
    }
    w.write_all(b"}")
}

fn write_value(
    w: &mut Out<'_>,
    descriptor: &Descriptor,
    metric: &dyn EncodeMetric,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    let keys = descriptor.label_keys();
    let mut written = 0usize;
    match keys {
        [] => metric.for_each_series(&mut |_, sample| {
            written += 1;
            write_sample(w, sample, scratch)?;
            w.checkpoint()
        })?,
        [key] => {
            let mut fast = SeriesWriter::json_by_value(w, key);
            let done = metric.__write_series(&mut fast);
            written = fast.written();
            if let Some(done) = done {
                done?;
                if written > 0 {
                    w.write_all(b"}}")?;
                } else {
                    w.write_all(b"null")?;
                }
                return Ok(());
            }
            metric.for_each_series(&mut |values, sample| {
                if written == 0 {
                    open_by_value(w, key)?;
                } else {
                    w.write_all(b",")?;
                }
                written += 1;
                write_str(w, values[0])?;
                w.write_all(b":")?;
                write_sample(w, sample, scratch)?;
                w.checkpoint()
            })?;
            if written > 0 {
                w.write_all(b"}}")?;
            }
        }
        _ => {
            metric.for_each_series(&mut |values, sample| {
                w.write_all(if written == 0 { b"[{" } else { b",{" })?;
                written += 1;
                for (key, value) in keys.iter().zip(values) {
                    write_str(w, key)?;
                    w.write_all(b":")?;
                    write_str(w, value)?;
                    w.write_all(b",")?;
                }
                w.write_all(b"\"@\":")?;
                write_sample(w, sample, scratch)?;
                w.write_all(b"}")?;
                w.checkpoint()
            })?;
            if written > 0 {
                w.write_all(b"]")?;
            }
        }
    }
    if written == 0 {
        w.write_all(b"null")?;
    }
    Ok(())
}

/// Opens the value of a one-key family: `{"<key>":{`.
pub(crate) fn open_by_value(w: &mut Out<'_>, key: &str) -> io::Result<()> {
    w.write_all(b"{")?;
    write_str(w, key)?;
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
        write_str_body(w, value)?;
    }
    w.put(b"\":");
    match sample {
        Sample::Counter(v) => write_u64_as_f64(w, v)?,
        Sample::Gauge(v) => write_i64_as_f64(w, v)?,
        Sample::Histogram(_) => w.put(b"null"),
    }
    w.checkpoint()
}

fn write_sample(w: &mut Out<'_>, sample: Sample<'_>, scratch: &mut Vec<u64>) -> io::Result<()> {
    match sample {
        Sample::Counter(v) => write_u64_as_f64(w, v),
        Sample::Gauge(v) => write_i64_as_f64(w, v),
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
    }
}

/// `sum / count`, NaN (written `null`) while there are no observations.
fn average(sum: f64, count: u64) -> f64 {
    if count == 0 {
        f64::NAN
    } else {
        sum / count as f64
    }
}

const NO: u8 = 0;
const UU: u8 = b'u';
/// For each byte, the letter after the backslash that escapes it, `u` for `\u00XX`, or 0.
/// The same set as `serde_json` escapes: `"`, `\` and the control characters.
static ESCAPE: [u8; 256] = {
    let mut table = [NO; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = UU;
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Writes `s` as a JSON string, quotes included, escaped per RFC 8259.
pub(crate) fn write_str<W: Write + ?Sized>(w: &mut W, s: &str) -> io::Result<()> {
    w.write_all(b"\"")?;
    write_str_body(w, s.as_bytes())?;
    w.write_all(b"\"")
}

/// Writes `s` escaped per RFC 8259, without the quotes.
fn write_str_body<W: Write + ?Sized>(w: &mut W, bytes: &[u8]) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    if !needs_json_escape(bytes) {
        return w.write_all(bytes);
    }
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[byte as usize];
        if escape == NO {
            continue;
        }
        w.write_all(&bytes[start..i])?;
        if escape == UU {
            w.write_all(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xf) as usize],
            ])?;
        } else {
            w.write_all(&[b'\\', escape])?;
        }
        start = i + 1;
    }
    w.write_all(&bytes[start..])
}

/// A `serde::Serialize` view of sorted metrics, giving the same JSON as [`write`].
pub(crate) struct Metrics<'a>(pub(crate) &'a Sorted<'a>);

impl Serialize for Metrics<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for &(descriptor, metric) in self.0 {
            map.serialize_entry(descriptor.name(), &Member(descriptor, metric))?;
        }
        map.end()
    }
}

struct Member<'a>(&'static Descriptor, &'a dyn EncodeMetric);

impl Serialize for Member<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut member = serializer.serialize_struct("Metric", 3)?;
        member.serialize_field("help", self.0.help())?;
        member.serialize_field("type", self.0.kind().as_str())?;
        member.serialize_field("value", &Value(self.0, self.1))?;
        member.end()
    }
}

/// Reads every series of `metric` into memory, so that the shape of the value (a number, an
/// object, an array or `null`) is chosen from one consistent reading.
fn read_series(metric: &dyn EncodeMetric) -> Vec<(Vec<String>, OwnedSample)> {
    let mut out = Vec::new();
    let _ = metric.for_each_series(&mut |values, sample| {
        let values = values.iter().map(|v| (*v).to_owned()).collect();
        out.push((values, OwnedSample::read(sample)));
        Ok(())
    });
    out
}

struct Value<'a>(&'static Descriptor, &'a dyn EncodeMetric);

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let series = read_series(self.1);
        match (self.0.label_keys(), series.as_slice()) {
            (_, []) => serializer.serialize_none(),
            ([], [(_, sample), ..]) => sample.serialize(serializer),
            ([key], series) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(key, &OneKey(series))?;
                map.end()
            }
            (keys, series) => {
                let mut seq = serializer.serialize_seq(Some(series.len()))?;
                for (values, sample) in series {
                    seq.serialize_element(&ManyKeys(keys, values, sample))?;
                }
                seq.end()
            }
        }
    }
}

struct OneKey<'a>(&'a [(Vec<String>, OwnedSample)]);

impl Serialize for OneKey<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (values, sample) in self.0 {
            let value = values
                .first()
                .ok_or_else(|| S::Error::custom("a series of a one-key family has no value"))?;
            map.serialize_entry(value, sample)?;
        }
        map.end()
    }
}

struct ManyKeys<'a>(&'static [&'static str], &'a [String], &'a OwnedSample);

impl Serialize for ManyKeys<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len() + 1))?;
        for (key, value) in self.0.iter().zip(self.1) {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry("@", self.2)?;
        map.end()
    }
}

/// A finite float, or `None` (serialized as `null`) for NaN and the infinities.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// One series' value, read out of its atomics.
enum OwnedSample {
    Number(f64),
    Histogram {
        bounds: Vec<f64>,
        cumulative: Vec<u64>,
        sum: f64,
    },
}

impl OwnedSample {
    fn read(sample: Sample<'_>) -> Self {
        match sample {
            Sample::Counter(v) => OwnedSample::Number(v as f64),
            Sample::Gauge(v) => OwnedSample::Number(v as f64),
            Sample::Histogram(h) => Self::read_histogram(h),
        }
    }

    fn read_histogram(h: &Histogram) -> Self {
        let mut cumulative = Vec::new();
        let sum = h.load_cumulative(&mut cumulative);
        OwnedSample::Histogram {
            bounds: h.buckets().bounds().to_vec(),
            cumulative,
            sum,
        }
    }
}

impl Serialize for OwnedSample {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            OwnedSample::Number(v) => finite(*v).serialize(serializer),
            OwnedSample::Histogram {
                bounds,
                cumulative,
                sum,
            } => {
                let count = cumulative.last().copied().unwrap_or(0);
                let buckets: Vec<(Option<f64>, u64)> = bounds
                    .iter()
                    .zip(cumulative)
                    .map(|(le, c)| (finite(*le), *c))
                    .collect();
                let mut map = serializer.serialize_map(Some(4))?;
                map.serialize_entry("avg", &finite(average(*sum, count)))?;
                map.serialize_entry("bucket", &buckets)?;
                map.serialize_entry("count", &count)?;
                map.serialize_entry("sum", &finite(*sum))?;
                map.end()
            }
        }
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
            write_member::<String>(&mut out, stored.stored(), sample, i == 0).unwrap();
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
