//! The encoders: each writes one output format from the sorted metrics of some groups.

pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod openmetrics;
pub(crate) mod otlp;
pub(crate) mod prometheus;
pub(crate) mod protobuf;
pub(crate) mod remote_write;
mod spare;
pub(crate) mod text;
mod wire;

/// The `Content-Type` of `/metrics.json`.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// An output format of the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The KumoMTA-style `/metrics.json` document, compact.
    Json,
    /// The Prometheus text exposition format, version 0.0.4.
    Prometheus,
    /// The OpenMetrics 1.0 text format.
    OpenMetrics,
    /// Prometheus's protobuf format (`io.prometheus.client.MetricFamily` messages, each after
    /// its length): the one that carries native histograms. Binary, not UTF-8.
    Protobuf,
}

impl Format {
    /// The `Content-Type` header of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON_CONTENT_TYPE,
            Format::Prometheus => prometheus::CONTENT_TYPE,
            Format::OpenMetrics => openmetrics::CONTENT_TYPE,
            Format::Protobuf => protobuf::CONTENT_TYPE,
        }
    }

    /// Writes `metrics` in this format.
    pub(crate) fn write(
        self,
        w: &mut Out<'_>,
        metrics: &Sorted<'_>,
        context: &Context<'_>,
    ) -> io::Result<()> {
        match self {
            Format::Json => json::write(w, metrics, context),
            Format::Prometheus => text::write::<prometheus::Prometheus>(w, metrics, context),
            Format::OpenMetrics => text::write::<openmetrics::OpenMetrics>(w, metrics, context),
            Format::Protobuf => protobuf::write(w, metrics, context),
        }
    }
}

/// What an export adds to every metric: a prefix to every name (checked to be one that keeps
/// names valid), and, in the text formats, the registry's constant labels.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Context<'a> {
    pub(crate) prefix: &'a str,
    /// `k="v",...` with the values escaped; empty for none.
    pub(crate) constant_labels: &'a str,
    /// The same labels as given, for the protobuf format.
    pub(crate) constant: &'a [(String, String)],
}

use std::io::{self, Write};

use crate::descriptor::Descriptor;
use crate::exemplar::Exemplar;
use crate::label::{self, LabelSet, Stored};
use crate::metric::{Metric, Sample};

/// How much output is gathered before it is handed to the writer in one call.
const CHUNK: usize = 32 * 1024;

/// The output of an encoder: bytes are appended to a buffer, which cannot fail, and handed to
/// the writer (if any) in chunks of about [`CHUNK`] bytes at the points the encoder marks with
/// [`Out::checkpoint`], so that writing a sample line checks for no error. An error of the
/// writer is kept and returned at the next checkpoint (or by `flush`).
pub(crate) struct Out<'w> {
    buf: Vec<u8>,
    sink: Option<&'w mut dyn Write>,
    /// How much is gathered before a checkpoint hands it over: never, without a writer.
    drain_at: usize,
    error: Option<io::Error>,
}

impl<'w> Out<'w> {
    /// Output handed to `sink` in chunks.
    pub(crate) fn to_writer(sink: &'w mut dyn Write) -> Self {
        Out {
            buf: Vec::with_capacity(CHUNK + CHUNK / 4),
            sink: Some(sink),
            drain_at: CHUNK,
            error: None,
        }
    }

    /// Output appended to `buf`, to be taken back with [`Out::into_vec`].
    pub(crate) fn to_vec(buf: Vec<u8>) -> Out<'static> {
        Out {
            buf,
            sink: None,
            drain_at: usize::MAX,
            error: None,
        }
    }

    /// Appends `bytes`.
    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Appends `v` in decimal.
    ///
    /// Eight digits at a time are computed side by side in one word and stored whole, rather
    /// than a pair at a time into a separate buffer and copied from there.
    #[inline(always)]
    pub(crate) fn put_u64(&mut self, v: u64) {
        const E8: u64 = 100_000_000;
        if v < E8 {
            self.put_leading(v);
        } else if v < E8 * E8 {
            self.put_leading(v / E8);
            self.put_word(eight_digits(v % E8), 8);
        } else {
            self.put_long(v);
        }
    }

    /// Ends a sample line: appends the `head_len` (at most four) low bytes of `head`, then `v`
    /// and a newline. Below 10^7 that is one store when it all fits in eight bytes (a label
    /// set's close and a value of up to four digits), else two.
    #[inline(always)]
    pub(crate) fn put_line_end(&mut self, head: u64, head_len: usize, v: u64) {
        if v < 10_000_000 {
            let (digits, n) = without_leading_zeros(v);
            let tail = digits | (u64::from(b'\n') << (8 * n));
            if head_len + n < 8 {
                self.put_word(head | (tail << (8 * head_len)), head_len + n + 1);
            } else {
                self.put_word(head, head_len);
                self.put_word(tail, n + 1);
            }
        } else {
            self.put_word(head, head_len);
            self.put_u64(v);
            self.put(b"\n");
        }
    }

    /// Appends `v` (below 10^8) in decimal.
    #[inline(always)]
    fn put_leading(&mut self, v: u64) {
        let (digits, n) = without_leading_zeros(v);
        self.put_word(digits, n);
    }

    /// Appends an integer of more than sixteen digits.
    #[cold]
    fn put_long(&mut self, v: u64) {
        self.put(itoa::Buffer::new().format(v).as_bytes());
    }

    /// Appends the bytes of a label value as a series keeps them, with nothing after them that
    /// a copy may read, by fixed-size copies and no call: 16 bytes at a time, then the last 16,
    /// overlapping what went before; a shorter value by two 8-byte words the same way, or by
    /// the pieces of one.
    #[inline(always)]
    pub(crate) fn put_label(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let start = self.buf.len();
        if let Some(last) = bytes.last_chunk::<16>() {
            let mut at = 0;
            while at + 16 < n {
                if let Some(chunk) = bytes[at..].first_chunk::<16>() {
                    self.buf.extend_from_slice(chunk);
                }
                at += 16;
            }
            self.buf.truncate(start + n - 16);
            self.buf.extend_from_slice(last);
        } else if let (Some(first), Some(last)) =
            (bytes.first_chunk::<8>(), bytes.last_chunk::<8>())
        {
            self.buf.extend_from_slice(first);
            self.buf.truncate(start + n - 8);
            self.buf.extend_from_slice(last);
        } else {
            self.put_word(label::short_word(bytes), n);
        }
    }

    /// Appends the first `len` (at most `N`) bytes of `block`, by a copy of all `N`: fixed
    /// stores, no call.
    #[inline(always)]
    pub(crate) fn put_block<const N: usize>(&mut self, block: &[u8; N], len: usize) {
        let end = self.buf.len() + len.min(N);
        self.buf.extend_from_slice(block);
        self.buf.truncate(end);
    }

    /// Appends the first `len` (at most 8) bytes of `word`, lowest first, by one store.
    #[inline(always)]
    pub(crate) fn put_word(&mut self, word: u64, len: usize) {
        let end = self.buf.len() + len.min(8);
        self.buf.extend_from_slice(&word.to_le_bytes());
        self.buf.truncate(end);
    }

    /// Hands what is gathered to the writer once there is a chunk of it; returns the writer's
    /// error, if it failed.
    #[inline]
    pub(crate) fn checkpoint(&mut self) -> io::Result<()> {
        if self.buf.len() >= self.drain_at {
            self.checkpoint_cold()
        } else {
            Ok(())
        }
    }

    #[cold]
    fn checkpoint_cold(&mut self) -> io::Result<()> {
        self.drain();
        match self.error.take() {
            None => Ok(()),
            Some(e) => Err(e),
        }
    }

    /// Hands everything gathered to the writer. After the writer fails, nothing more reaches
    /// it, and every checkpoint drops what was gathered.
    fn drain(&mut self) {
        if let Some(sink) = self.sink.as_mut() {
            if let Err(e) = sink.write_all(&self.buf) {
                self.error = Some(e);
                self.sink = None;
                self.drain_at = 0;
            }
        }
        self.buf.clear();
    }

    /// The buffer of an [`Out::to_vec`], with the output appended.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        self.buf
    }
}

impl Write for Out<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.put(bytes);
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.put(bytes);
        Ok(())
    }

    /// Hands everything gathered to the writer and flushes it.
    fn flush(&mut self) -> io::Result<()> {
        if self.sink.is_some() {
            self.drain();
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        match self.sink.as_mut() {
            Some(sink) => sink.flush(),
            None => Ok(()),
        }
    }
}

/// The decimal digits of `v` (below 10^8) as ASCII, the first in the lowest byte, and how many
/// there are: the zero-padded digits shifted past their leading `0`s, found as the low bytes
/// that are `0` (a value of 0 keeps one).
#[inline(always)]
fn without_leading_zeros(v: u64) -> (u64, usize) {
    let digits = eight_digits(v);
    let zeros = ((digits ^ ASCII_ZEROS).trailing_zeros() / 8).min(7) as usize;
    (digits >> (8 * zeros), 8 - zeros)
}

/// Eight ASCII `0`s.
const ASCII_ZEROS: u64 = 0x3030_3030_3030_3030;

/// The eight decimal digits of `v` (below 10^8, zero-padded) as ASCII, the first in the lowest
/// byte. The word is split into two four-digit halves, then four two-digit quarters, then the
/// digits, each step dividing every lane at once by one multiplication with a reciprocal.
#[inline]
fn eight_digits(v: u64) -> u64 {
    debug_assert!(v < 100_000_000);
    // 32-bit lanes: the first four digits, then the last four.
    let halves = (v / 10_000) | ((v % 10_000) << 32);
    // x / 100 for x < 10^4 in each lane is (x * 10486) >> 20.
    let hundreds = ((halves * 10_486) >> 20) & 0x0000_007F_0000_007F;
    // 16-bit lanes: each two digits, in order.
    let pairs = ((halves - 100 * hundreds) << 16) | hundreds;
    // x / 10 for x < 100 in each lane is (x * 103) >> 10.
    let tens = ((pairs * 103) >> 10) & 0x000F_000F_000F_000F;
    // 8-bit lanes: each digit, in order.
    let digits = tens | ((pairs - 10 * tens) << 8);
    digits | ASCII_ZEROS
}

/// A field that the encoders can read: a metric, or a family of them.
///
/// Every metric reaches every format the same way: the registry visits each group
/// ([`MetricGroup::visit`](crate::MetricGroup::visit)), and for each metric the encoder of the
/// format calls [`EncodeMetric::encode`] with a [`MetricEncoder`] set up for that metric, which
/// the metric hands its series to.
pub trait EncodeMetric: Send + Sync {
    /// Writes every series through `encoder`: [`MetricEncoder::single`] once for a metric
    /// without labels (not at all while it has no value), or [`MetricEncoder::series`] for each
    /// series, sorted by label values.
    fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()>;

    /// For a family with a limit on its series: the limit, and how many lookups went to its
    /// overflow series.
    fn series_limit(&self) -> Option<(usize, u64)> {
        None
    }

    /// Gives a family without a limit of its own the registry's default.
    fn default_max_series(&self, max: usize) {
        let _ = max;
    }
}

/// The metrics of some groups, sorted by name: what an encoder writes.
pub(crate) type Sorted<'a> = Vec<(&'a Descriptor, &'a dyn EncodeMetric)>;

/// Writes the series of one metric in the format being exported: handed to
/// [`EncodeMetric::encode`], set up for that metric's name and label keys.
pub struct MetricEncoder<'e, 'w> {
    out: &'e mut Out<'w>,
    layout: Layout<'e>,
    keys: &'e [&'e str],
    /// How many series were written so far.
    written: usize,
    /// Room for a histogram's cumulative counts, reused from series to series.
    scratch: &'e mut Vec<u64>,
}

/// What a [`MetricEncoder`] writes.
#[derive(Clone, Copy)]
pub(crate) enum Layout<'e> {
    /// The lines of a text format.
    Text(text::Lines<'e>),
    /// The value of a `/metrics.json` member.
    Json,
    /// The `Metric` messages of a protobuf `MetricFamily`.
    Protobuf(protobuf::Lines<'e>),
    /// The `TimeSeries` of a remote-write request.
    RemoteWrite(remote_write::Lines<'e>),
    /// The data points of an OTLP `Metric`.
    Otlp(otlp::Lines<'e>),
}

/// A family's series, in the order of their label values: what [`MetricEncoder::family`] loops
/// over, with the label values as each series keeps them.
pub(crate) trait SortedSeries {
    /// The family's label type.
    type Labels: LabelSet;
    /// The family's metric type.
    type Metric: Metric;

    /// Calls `f` on every series in order, until it fails.
    fn for_each_sorted<F>(&self, f: F) -> io::Result<()>
    where
        F: FnMut(Stored<'_>, &Self::Metric) -> io::Result<()>;
}

impl<'e, 'w> MetricEncoder<'e, 'w> {
    pub(crate) fn new(
        out: &'e mut Out<'w>,
        layout: Layout<'e>,
        keys: &'e [&'e str],
        scratch: &'e mut Vec<u64>,
    ) -> Self {
        MetricEncoder {
            out,
            layout,
            keys,
            written: 0,
            scratch,
        }
    }

    /// Writes the value of a metric without labels.
    pub fn single(&mut self, sample: Sample<'_>) -> io::Result<()> {
        self.series(&[], sample)
    }

    /// Writes one series, given its label values in the order of the metric's keys. Series
    /// are written in the order they are given, which must be sorted by their values.
    ///
    /// Fails, writing nothing, when there are not as many values as the metric has label keys
    /// (so [`MetricEncoder::single`] fails for a metric with keys), or for a second value of a
    /// metric without keys: such output could not be read back.
    pub fn series(&mut self, values: &[&str], sample: Sample<'_>) -> io::Result<()> {
        self.series_with_exemplar(values, sample, None)
    }

    /// Whether the format being written shows exemplars (OpenMetrics and protobuf do): when
    /// not, a metric need not look its exemplar up.
    pub fn writes_exemplars(&self) -> bool {
        match &self.layout {
            Layout::Text(lines) => lines.exemplars(),
            Layout::Json | Layout::RemoteWrite(_) | Layout::Otlp(_) => false,
            Layout::Protobuf(_) => true,
        }
    }

    /// As [`MetricEncoder::series`], with the latest exemplar of a counter, which the formats
    /// that show exemplars write beside its value (and the others leave out).
    pub fn series_with_exemplar(
        &mut self,
        values: &[&str],
        sample: Sample<'_>,
        exemplar: Option<&Exemplar>,
    ) -> io::Result<()> {
        if self.keys.is_empty() && self.written > 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a second value for a metric without label keys",
            ));
        }
        if values.len() != self.keys.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a series with {} label values for the {} label keys {:?}",
                    values.len(),
                    self.keys.len(),
                    self.keys
                ),
            ));
        }
        self.written += 1;
        match &self.layout {
            Layout::Text(lines) => text::write_series(
                self.out,
                lines,
                self.keys,
                values,
                sample,
                exemplar,
                self.scratch,
            ),
            Layout::Json => json::write_series(
                self.out,
                self.keys,
                values,
                sample,
                self.written == 1,
                self.scratch,
            ),
            Layout::Protobuf(lines) => {
                protobuf::write_series(self.out, lines, values, sample, exemplar, self.scratch)
            }
            Layout::RemoteWrite(lines) => {
                remote_write::write_series(self.out, lines, values, sample, self.scratch)
            }
            Layout::Otlp(lines) => {
                otlp::write_series(self.out, lines, values, sample, self.scratch)
            }
        }
    }

    /// Writes every series of a family, by a loop compiled for the family's label and metric
    /// types in each format: no call through a pointer and no array of label values per
    /// series, and no escaping scan for values found plain when their series was created.
    #[inline]
    pub(crate) fn family<S: SortedSeries>(&mut self, family: &S) -> io::Result<()> {
        let (out, keys, scratch) = (&mut *self.out, self.keys, &mut *self.scratch);
        let written = &mut self.written;
        match self.layout {
            // The text formats need no count of what was written; the lines' parts are copied
            // into the loop, not reached through the encoder.
            Layout::Text(lines) => family.for_each_sorted(|labels, metric| {
                text::write_stored::<S::Labels, S::Metric>(
                    out, &lines, keys, labels, metric, scratch,
                )
            }),
            Layout::Json => family.for_each_sorted(|labels, metric| {
                *written += 1;
                let first = *written == 1;
                let sample = metric.sample();
                json::write_stored::<S::Labels>(out, keys, labels, sample, first, scratch)
            }),
            Layout::Protobuf(lines) => family.for_each_sorted(|labels, metric| {
                *written += 1;
                protobuf::write_stored::<S::Labels, S::Metric>(out, &lines, labels, metric, scratch)
            }),
            Layout::RemoteWrite(lines) => family.for_each_sorted(|labels, metric| {
                let sample = metric.sample();
                remote_write::write_stored::<S::Labels>(out, &lines, labels, sample, scratch)
            }),
            Layout::Otlp(lines) => family.for_each_sorted(|labels, metric| {
                *written += 1;
                otlp::write_stored::<S::Labels>(out, &lines, labels, metric.sample(), scratch)
            }),
        }
    }

    /// How many series were written, in JSON (where the value of a family without series is
    /// `null`) and protobuf (where a family without series is left out).
    pub(crate) fn written(&self) -> usize {
        self.written
    }
}

/// Writes a float the way `serde_json` writes an `f64` (shortest round-trip form, `.0` on whole
/// numbers), or `non_finite` for NaN and the infinities.
#[inline]
pub(crate) fn write_f64<W: Write + ?Sized>(w: &mut W, v: f64, non_finite: &[u8]) -> io::Result<()> {
    if v.is_finite() {
        w.write_all(zmij::Buffer::new().format_finite(v).as_bytes())
    } else {
        w.write_all(non_finite)
    }
}

/// Integers up to this size are exact as `f64` and written by `serde_json` as `<digits>.0`.
const EXACT: u64 = 1 << 53;

/// Writes an integer the way `serde_json` writes it converted to `f64` (`46.0`), without the
/// float formatter for the common case.
#[inline]
pub(crate) fn write_i64_as_f64(w: &mut Out<'_>, v: i64) -> io::Result<()> {
    if v.unsigned_abs() > EXACT {
        return write_f64(w, v as f64, b"null");
    }
    if v < 0 {
        w.put(b"-");
    }
    write_u64_as_f64(w, v.unsigned_abs())
}

/// As [`write_i64_as_f64`], for a counter.
#[inline]
pub(crate) fn write_u64_as_f64(w: &mut Out<'_>, v: u64) -> io::Result<()> {
    if v <= EXACT {
        w.put_u64(v);
        w.put(b".0");
        Ok(())
    } else {
        write_f64(w, v as f64, b"null")
    }
}

/// Label values of every length around the fixed-size copies, and three that need escaping,
/// each with a series that keeps it (`packed` before it, `SEPARATOR` between), plain or not: a
/// copy that reads past the end of its value reads past the end of the series' allocation.
#[cfg(test)]
pub(crate) fn values_of_every_length(packed: &[u8]) -> Vec<(String, crate::shared::Shared<()>)> {
    (0..70)
        .map(|n| "v".repeat(n))
        .chain(["\"".into(), "a\\b\nc".into(), "é".repeat(20)])
        .map(|value| {
            let plain = !value.contains(['"', '\\', '\n']);
            let packed = if packed.is_empty() {
                value.clone().into_bytes()
            } else {
                [packed, &[0xFF], value.as_bytes()].concat()
            };
            let series = crate::shared::Shared::new((), &packed, plain);
            (value, series)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::{Metric, MetricKind};
    use crate::{Counter, Family, Gauge};

    /// A family seen only through its label values as strings, series by series: the path of
    /// every metric that hands its series to [`MetricEncoder::series`].
    struct Generic<'a, M: Metric, L: LabelSet>(&'a Family<M, L>);

    impl<M: Metric, L: LabelSet> EncodeMetric for Generic<'_, M, L> {
        fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
            self.0
                .for_each_sorted(|values, metric| encoder.series(values, metric.sample()))
        }
    }

    fn descriptor(
        name: &str,
        kind: MetricKind,
        keys: &'static [&'static str],
    ) -> &'static Descriptor {
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        Box::leak(Box::new(Descriptor::new(name, "help", kind, keys, None)))
    }

    fn render(format: Format, metrics: &Sorted<'_>) -> String {
        let mut out = Out::to_vec(Vec::new());
        format
            .write(&mut out, metrics, &Context::default())
            .unwrap();
        String::from_utf8(out.into_vec()).unwrap()
    }

    #[test]
    fn the_fast_path_writes_what_the_generic_path_writes() {
        let odd = [
            "plain",
            "",
            "quote\"d",
            "back\\slash",
            "new\nline",
            "tab\t",
            "ünï",
            "a b",
        ];
        let counters: Family<Counter> = Family::new();
        let gauges: Family<Gauge, (String, String)> = Family::new();
        let empty: Family<Counter> = Family::new();
        let levels: Family<Gauge> = Family::new();
        for (i, v) in odd.iter().enumerate() {
            counters.inc_by(v, i as u64 * 1000);
            gauges.set((v, "x\"y"), -(i as i64));
            levels.set(v, (i as i64 - 3) * 123_456_789);
        }
        // Beyond 2^53 JSON spells the nearest float; the text formats, the integer.
        counters.inc_by("huge", u64::MAX);
        levels.set("lowest", i64::MIN);
        levels.set("highest", i64::MAX);
        let c = descriptor("c_total", MetricKind::Counter, &["k"]);
        let g = descriptor("g", MetricKind::Gauge, &["k", "l"]);
        let e = descriptor("e", MetricKind::Counter, &["k"]);
        let l = descriptor("l", MetricKind::Gauge, &["k"]);
        let fast: Sorted<'_> = vec![
            (c, &counters as &dyn EncodeMetric),
            (e, &empty),
            (g, &gauges),
            (l, &levels),
        ];
        let (gc, ge, gg) = (Generic(&counters), Generic(&empty), Generic(&gauges));
        let gl = Generic(&levels);
        let generic: Sorted<'_> = vec![(c, &gc as &dyn EncodeMetric), (e, &ge), (g, &gg), (l, &gl)];
        for format in [Format::Json, Format::Prometheus, Format::OpenMetrics] {
            let (a, b) = (render(format, &fast), render(format, &generic));
            assert_eq!(a, b, "{format:?}");
            assert!(a.contains("quote"), "{a}");
        }
        let json: serde_json::Value = serde_json::from_str(&render(Format::Json, &fast)).unwrap();
        assert_eq!(json["c_total"]["value"]["k"]["quote\"d"], 2000.0);
        assert_eq!(json["e"]["value"], serde_json::Value::Null);
        assert_eq!(json["l"]["value"]["k"]["tab\t"], 2.0 * 123_456_789.0);
        assert_eq!(json["l"]["value"]["k"]["plain"], -3.0 * 123_456_789.0);
        assert_eq!(json["l"]["value"]["k"]["lowest"], i64::MIN as f64);
        let text = render(Format::Prometheus, &fast);
        assert!(
            text.contains(&format!("l{{k=\"lowest\"}} {}\n", i64::MIN)),
            "{text}"
        );
        assert!(
            text.contains(&format!("c_total{{k=\"huge\"}} {}\n", u64::MAX)),
            "{text}"
        );
    }

    #[test]
    fn a_series_with_as_many_values_as_keys_or_an_error() {
        struct Wrong;
        impl EncodeMetric for Wrong {
            fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
                encoder.series(&["a", "b"], Sample::Counter(1))
            }
        }
        let d = descriptor("wrong", MetricKind::Counter, &["k"]);
        let metrics: Sorted<'_> = vec![(d, &Wrong as &dyn EncodeMetric)];
        for format in [Format::Json, Format::Prometheus, Format::OpenMetrics] {
            let mut out = Out::to_vec(Vec::new());
            let error = format
                .write(&mut out, &metrics, &Context::default())
                .unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{format:?}");
            assert!(
                error
                    .to_string()
                    .contains("2 label values for the 1 label keys")
            );
        }
        struct Twice;
        impl EncodeMetric for Twice {
            fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
                encoder.single(Sample::Gauge(1))?;
                encoder.single(Sample::Gauge(2))
            }
        }
        let d = descriptor("twice", MetricKind::Gauge, &[]);
        let metrics: Sorted<'_> = vec![(d, &Twice as &dyn EncodeMetric)];
        for format in [Format::Json, Format::Prometheus, Format::OpenMetrics] {
            let mut out = Out::to_vec(Vec::new());
            let error = format
                .write(&mut out, &metrics, &Context::default())
                .unwrap_err();
            assert!(error.to_string().contains("a second value"), "{format:?}");
        }
    }

    #[test]
    fn a_failing_writer_stops_the_export_with_its_error() {
        struct Full(usize);
        impl Write for Full {
            fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
                if self.0 < bytes.len() {
                    return Err(io::Error::new(io::ErrorKind::WriteZero, "full"));
                }
                self.0 -= bytes.len();
                Ok(bytes.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let counters: Family<Counter> = Family::new();
        for i in 0..10_000 {
            counters.inc(&format!("value{i}"));
        }
        let c = descriptor("c_total", MetricKind::Counter, &["k"]);
        let metrics: Sorted<'_> = vec![(c, &counters as &dyn EncodeMetric)];
        for format in [Format::Json, Format::Prometheus] {
            let mut sink = Full(CHUNK + 10);
            let mut out = Out::to_writer(&mut sink);
            let error = format
                .write(&mut out, &metrics, &Context::default())
                .and_then(|()| out.flush())
                .unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::WriteZero, "{format:?}");
        }
    }

    #[test]
    fn integers_are_written_as_serde_json_writes_them_as_floats() {
        let mut probes: Vec<i64> = vec![0, 1, -1, 46, 152, 101_234_377_728, i64::MIN, i64::MAX];
        for shift in 0..63 {
            let p = 1i64 << shift;
            probes.extend([p - 1, p, p + 1, -p, -p - 1, -p + 1]);
        }
        for p in [
            9_999_999_999_999_999i64,
            10_000_000_000_000_000,
            1_000_000_000_000_000,
        ] {
            probes.extend([p - 1, p, p + 1, -p]);
        }
        let written = |write: &dyn Fn(&mut Out<'_>) -> io::Result<()>| {
            let mut out = Out::to_vec(Vec::new());
            write(&mut out).unwrap();
            String::from_utf8(out.into_vec()).unwrap()
        };
        for v in probes {
            assert_eq!(
                written(&|w| write_i64_as_f64(w, v)),
                serde_json::to_string(&(v as f64)).unwrap(),
                "{v}"
            );
            if let Ok(u) = u64::try_from(v) {
                assert_eq!(
                    written(&|w| write_u64_as_f64(w, u)),
                    serde_json::to_string(&(u as f64)).unwrap(),
                    "{u}"
                );
            }
        }
        assert_eq!(
            written(&|w| write_u64_as_f64(w, u64::MAX)),
            serde_json::to_string(&(u64::MAX as f64)).unwrap()
        );
    }
}
