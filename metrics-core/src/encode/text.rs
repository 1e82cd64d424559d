//! What the two text formats share: sample lines and histogram lines, written by the same code
//! for Prometheus text and OpenMetrics. Where they differ (the heads, the name of a counter's
//! samples, when a histogram may show its sum, the end) each says so in its own file
//! ([`super::prometheus`], [`super::openmetrics`]) through [`Flavor`].

use std::io::{self, Write};
use std::sync::Arc;

use super::{Context, Layout, MetricEncoder, Out, Sorted, write_f64};
use crate::descriptor::Descriptor;
use crate::escape::write_label_value;
use crate::exemplar::Exemplar;
use crate::histogram::Histogram;
use crate::label::{self, LabelSet, Stored};
use crate::metric::{Metric, Sample};
use crate::native::NativeHistogram;

/// What sets one text format apart from the other.
pub(crate) trait Flavor {
    /// What ends the exposition.
    const END: &'static [u8];
    /// Whether counters and histogram buckets show their exemplars.
    const EXEMPLARS: bool;
    /// Writes the `# HELP` and `# TYPE` lines (and whatever else the format has) of a metric,
    /// its names after `prefix`.
    fn head(w: &mut Out<'_>, descriptor: &Descriptor, prefix: &str);
    /// Whether a histogram series with this sum and these bounds may show `_sum` and `_count`.
    fn keeps_sum(sum: f64, bounds: &[f64]) -> bool;
}

/// Writes `# <what> <prefix><name> <text>\n`.
pub(crate) fn comment(w: &mut Out<'_>, what: &str, prefix: &str, name: &str, text: &str) {
    w.put(b"# ");
    w.put(what.as_bytes());
    w.put(b" ");
    w.put(prefix.as_bytes());
    w.put(name.as_bytes());
    w.put(b" ");
    w.put(text.as_bytes());
    w.put(b"\n");
}

/// What the sample lines of one metric need: the prefix built for it, its name, the constant
/// labels, and whether a histogram series may show its sum.
#[derive(Clone, Copy)]
pub(crate) struct Lines<'a> {
    prefix: &'a Prefix,
    name: &'a str,
    constant: &'a str,
    keeps_sum: fn(f64, &[f64]) -> bool,
    exemplars: bool,
}

impl Lines<'_> {
    /// Whether these lines show exemplars.
    pub(crate) fn exemplars(&self) -> bool {
        self.exemplars
    }
}

/// Writes `metrics` in the text format `F`.
pub(crate) fn write<F: Flavor>(
    w: &mut Out<'_>,
    metrics: &Sorted<'_>,
    context: &Context<'_>,
) -> io::Result<()> {
    let mut scratch = Vec::new();
    let mut prefix = Prefix::default();
    let mut keys = Vec::new();
    let mut name = String::new();
    for &(descriptor, metric) in metrics {
        F::head(w, descriptor, context.prefix);
        descriptor.label_keys().fill(&mut keys);
        name.clear();
        name.push_str(context.prefix);
        name.push_str(&descriptor.heads().sample_name);
        prefix.build(&name, &keys, context.constant_labels);
        let lines = Lines {
            prefix: &prefix,
            name: &name,
            constant: context.constant_labels,
            keeps_sum: F::keeps_sum,
            // A counter typed `unknown` (one with an exact name) may not show one.
            exemplars: F::EXEMPLARS && descriptor.heads().openmetrics_type != "unknown",
        };
        let mut encoder = MetricEncoder::new(w, Layout::Text(lines), &keys, &mut scratch);
        metric.encode(&mut encoder)?;
        w.checkpoint()?;
    }
    w.write_all(F::END)
}

/// Writes the lines of one series given its label values.
pub(crate) fn write_series(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    keys: &[&str],
    values: &[&str],
    sample: Sample<'_>,
    exemplar: Option<&Exemplar>,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    let exemplar = exemplar.filter(|_| lines.exemplars);
    match sample {
        Sample::Counter(v) => {
            lines.prefix.write(w, values)?;
            w.put_u64(v);
            write_exemplar(w, exemplar)?;
        }
        Sample::Gauge(v) => {
            lines.prefix.write(w, values)?;
            w.write_all(itoa::Buffer::new().format(v).as_bytes())?;
        }
        Sample::FloatCounter(v) => {
            lines.prefix.write(w, values)?;
            write_text_f64(w, v)?;
            write_exemplar(w, exemplar)?;
        }
        Sample::FloatGauge(v) => {
            lines.prefix.write(w, values)?;
            write_text_f64(w, v)?;
        }
        Sample::Info => {
            lines.prefix.write(w, values)?;
            w.put(b"1");
        }
        Sample::Histogram(h) => return write_histogram(w, lines, keys, values, h, scratch),
        Sample::NativeHistogram(h) => return write_native(w, lines, keys, values, h),
    }
    w.write_all(b"\n")?;
    w.checkpoint()
}

/// Writes the lines of one series of a family as the series keeps its label values: a counter
/// or gauge by [`write_line`], compiled into the family's loop.
#[inline(always)]
pub(crate) fn write_stored<L: LabelSet, M: Metric>(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    keys: &[&str],
    labels: Stored<'_>,
    metric: &M,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    let sample = metric.sample();
    match sample {
        Sample::Histogram(h) => label::with_values::<L, _>(labels.packed(), |values| {
            write_histogram(w, lines, keys, values, h, scratch)
        }),
        Sample::NativeHistogram(h) => label::with_values::<L, _>(labels.packed(), |values| {
            write_native(w, lines, keys, values, h)
        }),
        _ => {
            if lines.exemplars {
                if let Some(exemplar) = metric.exemplar() {
                    return label::with_values::<L, _>(labels.packed(), |values| {
                        write_series(w, lines, keys, values, sample, Some(&exemplar), scratch)
                    });
                }
            }
            write_line::<L>(w, lines.prefix, labels, sample)
        }
    }
}

/// Writes ` # {labels} value timestamp` after a counter's or a bucket's value, for an exemplar.
fn write_exemplar(w: &mut Out<'_>, exemplar: Option<&Exemplar>) -> io::Result<()> {
    let Some(exemplar) = exemplar else {
        return Ok(());
    };
    w.put(b" # {");
    for (i, (name, value)) in exemplar.labels().enumerate() {
        if i > 0 {
            w.put(b",");
        }
        w.put(name.as_bytes());
        w.put(b"=\"");
        write_label_value(w, value.as_bytes())?;
        w.put(b"\"");
    }
    w.put(b"} ");
    write_text_f64(w, exemplar.value())?;
    let (seconds, nanos) = exemplar.unix_time();
    w.put(b" ");
    if seconds < 0 {
        // Before 1970 (a clock set wrong): the seconds and their fraction as one float.
        return write_text_f64(w, seconds as f64 + f64::from(nanos) / 1e9);
    }
    w.put(itoa::Buffer::new().format(seconds).as_bytes());
    // Nine digits after the point: the time to the nanosecond, read back as a float.
    w.put(b".");
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(1_000_000_000 + u64::from(nanos));
    w.put(&digits.as_bytes()[1..]);
    Ok(())
}

/// Writes the lines of a classic histogram series, with the exemplars of its buckets where
/// the format shows them.
fn write_histogram(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    keys: &[&str],
    values: &[&str],
    h: &Histogram,
    scratch: &mut Vec<u64>,
) -> io::Result<()> {
    let sum = h.load_cumulative(scratch);
    let exemplars = lines.exemplars && h.has_exemplars();
    let bounds = h.buckets().bounds();
    let exemplar = |i| if exemplars { h.exemplar(i) } else { None };
    write_buckets(w, lines, keys, values, bounds, scratch, sum, exemplar)
}

/// Writes a native histogram series as a classic one whose buckets are its buckets with
/// observations (the text formats have no native histograms).
fn write_native(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    keys: &[&str],
    values: &[&str],
    h: &NativeHistogram,
) -> io::Result<()> {
    let snapshot = h.snapshot();
    let (bounds, cumulative) = snapshot.classic();
    write_buckets(
        w,
        lines,
        keys,
        values,
        &bounds,
        &cumulative,
        snapshot.sum(),
        |_| None,
    )
}

/// Writes the cumulative `_bucket` lines of a histogram series up to `le="+Inf"` (the last of
/// `cumulative`, one more than `bounds`), then `_sum` and `_count` where the format lets it.
#[allow(clippy::too_many_arguments)]
fn write_buckets(
    w: &mut Out<'_>,
    lines: &Lines<'_>,
    keys: &[&str],
    values: &[&str],
    bounds: &[f64],
    cumulative: &[u64],
    sum: f64,
    exemplar: impl Fn(usize) -> Option<Arc<Exemplar>>,
) -> io::Result<()> {
    let line = Line {
        name: lines.name,
        constant: lines.constant,
        keys,
        values,
    };
    for (i, (le, count)) in bounds.iter().zip(cumulative).enumerate() {
        line.start(w, "_bucket", Some(Le::Bound(*le)))?;
        w.put_u64(*count);
        write_exemplar(w, exemplar(i).as_deref())?;
        w.write_all(b"\n")?;
    }
    let count = cumulative.last().copied().unwrap_or(0);
    line.start(w, "_bucket", Some(Le::Inf))?;
    w.put_u64(count);
    write_exemplar(w, exemplar(bounds.len()).as_deref())?;
    w.write_all(b"\n")?;
    // Where the format does not let the sum be shown, the `+Inf` bucket still carries the count.
    if (lines.keeps_sum)(sum, bounds) {
        line.start(w, "_sum", None)?;
        write_text_f64(w, sum)?;
        w.write_all(b"\n")?;
        line.start(w, "_count", None)?;
        w.put_u64(count);
        w.write_all(b"\n")?;
    }
    w.checkpoint()
}

/// The fixed parts of the sample lines of a counter or gauge family, built once per export:
/// `name{k1="`, then `",k2="` before each further value, and `"} ` to close (or `name ` alone
/// without labels), so that a sample line is a handful of copies.
#[derive(Default)]
pub(crate) struct Prefix {
    open: Vec<u8>,
    /// `open` zero-padded to a fixed size, when it fits: copied whole, then cut to length, so
    /// that the copy is a few fixed stores rather than a call.
    open_block: Option<[u8; OPEN_BLOCK]>,
    separators: Vec<Vec<u8>>,
    close: &'static [u8],
    /// `close` as a number, its first byte lowest.
    close_word: u64,
}

/// The longest `name{key="` copied as a fixed block.
const OPEN_BLOCK: usize = 64;

impl Prefix {
    /// Builds the parts for `name` with these label keys, after the `constant` labels
    /// (`k="v",...`, escaped; empty for none).
    fn build(&mut self, name: &str, keys: &[&str], constant: &str) {
        self.open.clear();
        self.open.extend_from_slice(name.as_bytes());
        self.separators.clear();
        let Some((first, rest)) = keys.split_first() else {
            if !constant.is_empty() {
                self.open.push(b'{');
                self.open.extend_from_slice(constant.as_bytes());
                self.open.push(b'}');
            }
            self.open.push(b' ');
            self.open_block = None;
            self.set_close(b"");
            return;
        };
        self.open.push(b'{');
        if !constant.is_empty() {
            self.open.extend_from_slice(constant.as_bytes());
            self.open.push(b',');
        }
        self.open.extend_from_slice(first.as_bytes());
        self.open.extend_from_slice(b"=\"");
        self.open_block = (self.open.len() <= OPEN_BLOCK).then(|| {
            let mut block = [0; OPEN_BLOCK];
            block[..self.open.len()].copy_from_slice(&self.open);
            block
        });
        self.separators
            .extend(rest.iter().map(|k| format!("\",{k}=\"").into_bytes()));
        self.set_close(b"\"} ");
    }

    fn set_close(&mut self, close: &'static [u8]) {
        self.close = close;
        self.close_word = close
            .iter()
            .rev()
            .fold(0, |word, byte| (word << 8) | u64::from(*byte));
    }

    /// Writes everything of a sample line before its value.
    #[inline]
    fn write<W: Write + ?Sized>(&self, w: &mut W, values: &[&str]) -> io::Result<()> {
        w.write_all(&self.open)?;
        if let Some((first, rest)) = values.split_first() {
            write_label_value(w, first.as_bytes())?;
            for (separator, value) in self.separators.iter().zip(rest) {
                w.write_all(separator)?;
                write_label_value(w, value.as_bytes())?;
            }
            w.write_all(self.close)?;
        }
        Ok(())
    }
}

/// Writes a counter or gauge sample line from its packed label values; values known to be
/// `plain` are copied unscanned. Inlined into each family's loop over its series, where a call
/// per line would cost as much as a tenth of the line.
#[inline(always)]
pub(crate) fn write_line<L: LabelSet>(
    w: &mut Out<'_>,
    prefix: &Prefix,
    labels: Stored<'_>,
    sample: Sample<'_>,
) -> io::Result<()> {
    match &prefix.open_block {
        Some(block) => w.put_block(block, prefix.open.len()),
        None => w.put(&prefix.open),
    }
    if L::ARITY == 1 && labels.plain() {
        // The value as it is kept, by fixed-size copies.
        w.put_label(labels.packed());
    } else {
        for (i, value) in label::unpack::<L>(labels.packed()).enumerate() {
            if i > 0 {
                if let Some(separator) = prefix.separators.get(i - 1) {
                    w.put(separator);
                }
            }
            if labels.plain() {
                w.put(value);
            } else {
                write_label_value(w, value)?;
            }
        }
    }
    let (v, negative) = match sample {
        Sample::Counter(v) => (v, false),
        Sample::Gauge(v) => (v.unsigned_abs(), v < 0),
        Sample::FloatCounter(v) | Sample::FloatGauge(v) => {
            w.put(prefix.close);
            write_text_f64(w, v)?;
            w.put(b"\n");
            return w.checkpoint();
        }
        Sample::Info => (1, false),
        Sample::Histogram(_) | Sample::NativeHistogram(_) => (0, false),
    };
    put_line_end(w, prefix.close_word, prefix.close.len(), v, negative);
    w.checkpoint()
}

/// Writes the end of a sample line: the label set's close (at most three bytes, in `close`'s
/// low bytes, `close_len` of them), the integer value, the newline.
#[inline]
fn put_line_end(w: &mut Out<'_>, close: u64, close_len: usize, v: u64, negative: bool) {
    if negative {
        w.put_line_end(
            close | (u64::from(b'-') << (8 * close_len)),
            close_len + 1,
            v,
        );
    } else {
        w.put_line_end(close, close_len, v);
    }
}

/// The `le` label of a histogram bucket.
#[derive(Clone, Copy)]
enum Le {
    Bound(f64),
    Inf,
}

/// The name and labels shared by the sample lines of one series.
struct Line<'a> {
    name: &'a str,
    constant: &'a str,
    keys: &'a [&'a str],
    values: &'a [&'a str],
}

impl Line<'_> {
    /// Writes `name<suffix>{labels} ` (the braces only when there are labels).
    fn start<W: Write + ?Sized>(&self, w: &mut W, suffix: &str, le: Option<Le>) -> io::Result<()> {
        w.write_all(self.name.as_bytes())?;
        w.write_all(suffix.as_bytes())?;
        if !self.keys.is_empty() || !self.constant.is_empty() || le.is_some() {
            w.write_all(b"{")?;
            w.write_all(self.constant.as_bytes())?;
            let mut first = self.constant.is_empty();
            for (key, value) in self.keys.iter().zip(self.values) {
                if !first {
                    w.write_all(b",")?;
                }
                first = false;
                w.write_all(key.as_bytes())?;
                w.write_all(b"=\"")?;
                write_label_value(w, value.as_bytes())?;
                w.write_all(b"\"")?;
            }
            if let Some(le) = le {
                if !first {
                    w.write_all(b",")?;
                }
                w.write_all(b"le=\"")?;
                match le {
                    Le::Bound(b) => write_text_f64(w, b)?,
                    Le::Inf => w.write_all(b"+Inf")?,
                }
                w.write_all(b"\"")?;
            }
            w.write_all(b"}")?;
        }
        w.write_all(b" ")
    }
}

/// Writes a float as both text formats spell it: `NaN`, `+Inf` and `-Inf` for the non-finite.
pub(crate) fn write_text_f64<W: Write + ?Sized>(w: &mut W, v: f64) -> io::Result<()> {
    let non_finite: &[u8] = if v.is_nan() {
        b"NaN"
    } else if v > 0.0 {
        b"+Inf"
    } else {
        b"-Inf"
    };
    write_f64(w, v, non_finite)
}

#[cfg(test)]
mod tests {
    use super::{OPEN_BLOCK, Prefix, put_line_end, write_line};
    use crate::encode::Out;
    use crate::encode::values_of_every_length;
    use crate::metric::Sample;

    #[test]
    fn line_ends_spell_every_integer_as_the_standard_library_does() {
        let mut probes: Vec<i64> =
            vec![0, 1, -1, 9, 10, 99, 100, 101, 999, 1000, i64::MIN, i64::MAX];
        for shift in 0..63 {
            let p = 1i64 << shift;
            probes.extend([p - 1, p, p + 1, -p, -p + 1]);
        }
        let mut p = 1i64;
        while let Some(next) = p.checked_mul(10) {
            probes.extend([p - 1, p, p + 1, -p, p * 7 + 12_345 % p.max(1)]);
            p = next;
        }
        probes.extend((0..100_000).map(|i| i * 7_919));
        // A family with a label key, whose lines close with `"} `, and a metric without.
        let prefixes = [&["k"][..], &[]].map(|keys| {
            let mut prefix = Prefix::default();
            prefix.build("x", keys, "");
            prefix
        });
        let line_end = |prefix: &Prefix, v: u64, negative: bool| {
            let mut out = Out::to_vec(b"x".to_vec());
            put_line_end(&mut out, prefix.close_word, prefix.close.len(), v, negative);
            out.into_vec()
        };
        for v in probes {
            for prefix in &prefixes {
                let expected = format!("x{}{v}\n", String::from_utf8_lossy(prefix.close));
                let written = line_end(prefix, v.unsigned_abs(), v < 0);
                assert_eq!(written, expected.into_bytes(), "{v}");
            }
        }
        for v in [
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            10_000_000_000_000_000_000,
            9_999_999_999_999_999,
        ] {
            let expected = format!("x\"}} {v}\n").into_bytes();
            assert_eq!(line_end(&prefixes[0], v, false), expected);
        }
    }

    #[test]
    fn sample_lines_are_whole_for_every_length_of_name_and_value() {
        // `name{k="` from far below the prefix block's size to past it; values of every length
        // around the fixed-size copies, plain or escaped, under one key and two.
        let escape = |v: &str| {
            v.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n")
        };
        for name_len in [1, 40, 55, 56, 57, 58, 63, 64, 65, 100] {
            let name = "n".repeat(name_len);
            let mut one = Prefix::default();
            one.build(&name, &["k"], "");
            let mut two = Prefix::default();
            two.build(&format!("{name}_total"), &["k", "q"], "");
            assert_eq!(one.open_block.is_some(), one.open.len() <= OPEN_BLOCK);
            let two_keys = values_of_every_length(b"x");
            for (v, (value, stored)) in values_of_every_length(b"").iter().enumerate() {
                let mut out = Out::to_vec(b"# before\n".to_vec());
                write_line::<String>(&mut out, &one, stored.stored(), Sample::Counter(7)).unwrap();
                let stored = &two_keys[v].1;
                let gauge = -(v as i64);
                write_line::<(String, String)>(
                    &mut out,
                    &two,
                    stored.stored(),
                    Sample::Gauge(gauge),
                )
                .unwrap();
                let value = escape(value);
                let expected = format!(
                    "# before\n{name}{{k=\"{value}\"}} 7\n{name}_total{{k=\"x\",q=\"{value}\"}} {gauge}\n"
                );
                assert_eq!(String::from_utf8(out.into_vec()).unwrap(), expected);
            }
        }
    }
}
