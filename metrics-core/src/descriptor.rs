//! Descriptors: what is known of a metric before it runs, and the escaped pieces of every
//! format formatted from it once.

use std::sync::OnceLock;

use crate::metric::MetricKind;

/// What is known of a metric before it runs: its name, help, kind, label keys and buckets.
///
/// `#[derive(Metrics)]` writes one `static` descriptor per field, after checking every rule of
/// the declaration. A hand-written [`MetricGroup`](crate::group::MetricGroup) makes its own with
/// [`Descriptor::new`]; the registry checks its name and label keys when it is registered. The
/// pieces of each output format that depend only on these (the escaped `# HELP` lines, the JSON
/// member head) are formatted once, when the descriptor is first registered, never per scrape.
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
        let _ = crate::escape::write_json_str(&mut json, name);
        json.extend_from_slice(b":{\"help\":");
        let _ = crate::escape::write_json_str(&mut json, help);
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
                crate::escape::escape_help(help, false)
            ),
            openmetrics: format!(
                "# HELP {openmetrics_name} {}\n# TYPE {openmetrics_name} {kind}\n",
                crate::escape::escape_help(help, true)
            ),
            openmetrics_name: openmetrics_name.to_owned(),
        }
    }
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
