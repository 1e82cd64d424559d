//! Metric groups: the visitor that `#[derive(Metrics)]` implements, and the static descriptors
//! it hands to the encoders.

use std::io;
use std::sync::OnceLock;

use crate::callback::{CounterFn, GaugeFn};
use crate::counter::Counter;
use crate::encode::SeriesWriter;
use crate::family::Family;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::label::LabelSet;
use crate::metric::{Metric, MetricKind, Sample};

/// What is known of a metric before it runs: its name, help, kind, label keys and buckets.
///
/// `#[derive(Metrics)]` writes one `static` descriptor per field, after checking every rule of
/// the declaration. A hand-written [`MetricGroup`] makes its own with [`Descriptor::new`]; the
/// registry checks its name and label keys when it is registered. The pieces of each output
/// format that depend only on these (the escaped `# HELP` lines, the JSON member head) are
/// formatted once, when the descriptor is first registered, never per scrape.
///
/// ```
/// use meterstick_core::{Descriptor, MetricKind};
///
/// static QUEUED: Descriptor =
///     Descriptor::new("queued", "messages waiting", MetricKind::Gauge, &["queue"], None);
/// assert_eq!(QUEUED.name(), "queued");
/// ```
#[derive(Debug)]
pub struct Descriptor {
    name: &'static str,
    help: &'static str,
    kind: MetricKind,
    label_keys: &'static [&'static str],
    buckets: Option<&'static [f64]>,
    heads: OnceLock<Heads>,
}

/// The pieces of each output format that depend only on a metric's name, help and kind,
/// escaped.
#[derive(Debug)]
pub(crate) struct Heads {
    /// `"<name>":{"help":"<help>","type":"<kind>","value":`.
    pub(crate) json: String,
    /// `# HELP` and `# TYPE` lines of the Prometheus text format.
    pub(crate) prometheus: String,
    /// `# HELP` and `# TYPE` lines of OpenMetrics, under `openmetrics_name`.
    pub(crate) openmetrics: String,
    /// The OpenMetrics family name: a counter's name without `_total`.
    pub(crate) openmetrics_name: String,
}

impl Heads {
    pub(crate) fn new(name: &str, help: &str, kind: MetricKind) -> Self {
        let mut json = Vec::new();
        // Writing into a `Vec` cannot fail.
        let _ = crate::encode::json::write_str(&mut json, name);
        json.extend_from_slice(b":{\"help\":");
        let _ = crate::encode::json::write_str(&mut json, help);
        json.extend_from_slice(format!(",\"type\":\"{kind}\",\"value\":").as_bytes());
        // Escaped `&str`s and ASCII syntax: always UTF-8.
        let json = String::from_utf8_lossy(&json).into_owned();
        let openmetrics_name = match kind {
            MetricKind::Counter => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        Heads {
            json,
            prometheus: format!(
                "# HELP {name} {}\n# TYPE {name} {kind}\n",
                escape_help(help, false)
            ),
            openmetrics: format!(
                "# HELP {openmetrics_name} {}\n# TYPE {openmetrics_name} {kind}\n",
                escape_help(help, true)
            ),
            openmetrics_name: openmetrics_name.to_owned(),
        }
    }
}

/// Help text escaped for a `# HELP` line: `\\` and newline, and `"` too in OpenMetrics.
fn escape_help(help: &str, openmetrics: bool) -> String {
    let mut out = String::with_capacity(help.len());
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if openmetrics => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

impl Descriptor {
    /// A descriptor for a `static`: the exported name (prefix included), the help text, the
    /// kind, the label keys in declared order (empty for a metric without labels) and, for a
    /// histogram, the bucket bounds it declares.
    pub const fn new(
        name: &'static str,
        help: &'static str,
        kind: MetricKind,
        label_keys: &'static [&'static str],
        buckets: Option<&'static [f64]>,
    ) -> Self {
        Descriptor {
            name,
            help,
            kind,
            label_keys,
            buckets,
            heads: OnceLock::new(),
        }
    }

    /// The exported name, prefix included.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The help text.
    pub fn help(&self) -> &'static str {
        self.help
    }

    /// Counter, gauge or histogram.
    pub fn kind(&self) -> MetricKind {
        self.kind
    }

    /// The label keys in declared order; empty for a metric without labels.
    pub fn label_keys(&self) -> &'static [&'static str] {
        self.label_keys
    }

    /// The declared bucket bounds of a histogram, if it declared any.
    pub fn buckets(&self) -> Option<&'static [f64]> {
        self.buckets
    }

    /// The escaped pieces of every format, formatted at the first call (registration).
    pub(crate) fn heads(&self) -> &Heads {
        self.heads
            .get_or_init(|| Heads::new(self.name, self.help, self.kind))
    }

    /// `"<name>":{"help":"<help>","type":"<kind>","value":`, escaped for JSON.
    pub(crate) fn json_head(&self) -> &str {
        &self.heads().json
    }

    /// `# HELP <name> <help>\n# TYPE <name> <kind>\n`, escaped for the Prometheus text format.
    pub(crate) fn prometheus_head(&self) -> &str {
        &self.heads().prometheus
    }

    /// The `# HELP` and `# TYPE` lines of OpenMetrics, under [`Self::openmetrics_name`].
    pub(crate) fn openmetrics_head(&self) -> &str {
        &self.heads().openmetrics
    }

    /// The OpenMetrics family name: the name, less a `_total` suffix for a counter.
    pub(crate) fn openmetrics_name(&self) -> &str {
        &self.heads().openmetrics_name
    }
}

/// A field that the encoders can read: a metric, or a family of them.
pub trait EncodeMetric: Send + Sync {
    /// Calls `f` once per series, sorted by label values, with the label values (empty for a
    /// metric without labels) and the current value.
    fn for_each_series(
        &self,
        f: &mut dyn FnMut(&[&str], Sample<'_>) -> io::Result<()>,
    ) -> io::Result<()>;

    /// For a family with a limit on its series: the limit, and how many lookups went to its
    /// overflow series.
    fn series_limit(&self) -> Option<(usize, u64)> {
        None
    }

    /// Gives a family without a limit of its own the registry's default.
    fn default_max_series(&self, max: usize) {
        let _ = max;
    }

    /// Writes every series through `w`, sorted as [`EncodeMetric::for_each_series`] gives them,
    /// by code compiled for the metric's own types; `None` (the default) where the metric has
    /// no such path, and the encoders then use `for_each_series`. Families of counters and
    /// gauges implement it.
    #[doc(hidden)]
    fn __write_series(&self, w: &mut SeriesWriter<'_, '_>) -> Option<io::Result<()>> {
        let _ = w;
        None
    }
}

macro_rules! encode_single {
    ($($t:ty),*) => {$(
        impl EncodeMetric for $t {
            fn for_each_series(
                &self,
                f: &mut dyn FnMut(&[&str], Sample<'_>) -> io::Result<()>,
            ) -> io::Result<()> {
                f(&[], self.sample())
            }
        }
    )*};
}

encode_single!(Counter, Gauge, Histogram, crate::sharded::ShardedCounter);

macro_rules! encode_callback {
    ($($t:ty),*) => {$(
        impl EncodeMetric for $t {
            fn for_each_series(
                &self,
                f: &mut dyn FnMut(&[&str], Sample<'_>) -> io::Result<()>,
            ) -> io::Result<()> {
                match self.sample() {
                    Some(sample) => f(&[], sample),
                    None => Ok(()),
                }
            }
        }
    )*};
}

encode_callback!(CounterFn, GaugeFn);

impl<M: Metric, L: LabelSet> EncodeMetric for Family<M, L> {
    fn for_each_series(
        &self,
        f: &mut dyn FnMut(&[&str], Sample<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.for_each_sorted(|labels, metric| f(labels, metric.sample()))
    }

    fn series_limit(&self) -> Option<(usize, u64)> {
        Family::series_limit(self)
    }

    fn default_max_series(&self, max: usize) {
        Family::default_max_series(self, max)
    }

    fn __write_series(&self, w: &mut SeriesWriter<'_, '_>) -> Option<io::Result<()>> {
        if M::KIND == MetricKind::Histogram {
            return None;
        }
        if let Some(mut line) = w.text_lines::<L>() {
            return Some(
                self.for_each_sorted_series(|labels, metric| line(labels, metric.sample())),
            );
        }
        let mut member = w.json_members::<L>()?;
        Some(self.for_each_sorted_series(|labels, metric| member(labels, metric.sample())))
    }
}

/// Receives each metric of a group in turn.
pub trait Visitor<'a> {
    /// Called once per metric, with its descriptor and the field itself.
    fn visit_metric(&mut self, descriptor: &'static Descriptor, metric: &'a dyn EncodeMetric);
}

impl<'a, F> Visitor<'a> for F
where
    F: FnMut(&'static Descriptor, &'a dyn EncodeMetric),
{
    fn visit_metric(&mut self, descriptor: &'static Descriptor, metric: &'a dyn EncodeMetric) {
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

/// The metrics of some groups, sorted by name: what an encoder writes.
pub(crate) type Sorted<'a> = Vec<(&'static Descriptor, &'a dyn EncodeMetric)>;

/// Collects the metrics of `groups`, sorted by name.
pub(crate) fn collect<'a>(groups: impl IntoIterator<Item = &'a dyn MetricGroup>) -> Sorted<'a> {
    let mut out: Sorted<'a> = Vec::new();
    for group in groups {
        group.visit(&mut |d: &'static Descriptor, m: &'a dyn EncodeMetric| out.push((d, m)));
    }
    out.sort_unstable_by_key(|(d, _)| d.name());
    out
}
