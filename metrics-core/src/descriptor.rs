//! Descriptors: what is known of a metric before it runs, and the names and escaped help of
//! every format worked out from it once.

use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

use crate::metric::MetricKind;

/// What is known of a metric before it runs: its name, help, kind, label keys, buckets and
/// unit.
///
/// `#[derive(Metrics)]` writes one `static` descriptor per field, after checking every rule of
/// the declaration. A hand-written [`MetricGroup`](crate::group::MetricGroup) makes its own with
/// [`Descriptor::new`]; the registry checks it with the derive's rules when it is registered.
/// The runtime registration methods ([`Registry::counter`](crate::Registry::counter) and the
/// others) make one from owned strings. What each output format writes of it (the names, the
/// escaped help) is worked out once, when the descriptor is registered, never per scrape.
///
/// ```
/// use meterstick_core::{Descriptor, MetricKind};
///
/// static QUEUED: Descriptor =
///     Descriptor::new("queued", "messages waiting", MetricKind::Gauge, &["queue"], None);
/// static WAITED: Descriptor =
///     Descriptor::new("waited_seconds", "time in the queue", MetricKind::Counter, &[], None)
///         .with_unit("seconds");
/// assert_eq!(QUEUED.name(), "queued");
/// assert_eq!(QUEUED.label_keys(), ["queue"]);
/// assert_eq!(WAITED.unit(), Some("seconds"));
/// ```
pub struct Descriptor {
    name: Cow<'static, str>,
    help: Cow<'static, str>,
    kind: MetricKind,
    label_keys: Keys,
    buckets: Option<Cow<'static, [f64]>>,
    unit: Option<&'static str>,
    exact_name: bool,
    heads: OnceLock<Heads>,
}

/// Label keys: the derive's static list, or the owned keys of a metric registered at run time.
#[derive(Clone)]
enum Keys {
    Static(&'static [&'static str]),
    Owned(Box<[Box<str>]>),
}

/// The label keys of a metric, in declared order: a view of its [`Descriptor`]'s.
///
/// ```
/// # use meterstick_core::{Descriptor, MetricKind};
/// let d = Descriptor::new("x", "help", MetricKind::Gauge, &["a", "b"], None);
/// assert_eq!(d.label_keys().len(), 2);
/// assert_eq!(d.label_keys().iter().collect::<Vec<_>>(), ["a", "b"]);
/// assert_eq!(d.label_keys(), ["a", "b"]);
/// ```
#[derive(Clone, Copy)]
pub struct LabelKeys<'a>(&'a Keys);

impl<'a> LabelKeys<'a> {
    /// How many keys there are.
    pub fn len(&self) -> usize {
        match self.0 {
            Keys::Static(keys) => keys.len(),
            Keys::Owned(keys) => keys.len(),
        }
    }

    /// Whether the metric has no label keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key at `index`.
    pub fn get(&self, index: usize) -> Option<&'a str> {
        match self.0 {
            Keys::Static(keys) => keys.get(index).copied(),
            Keys::Owned(keys) => keys.get(index).map(|k| &**k),
        }
    }

    /// The keys in declared order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        let keys = *self;
        (0..keys.len()).map(move |i| keys.get(i).unwrap_or_default())
    }

    /// Appends the keys to `out`: a list the encoders reuse from metric to metric.
    pub(crate) fn fill(&self, out: &mut Vec<&'a str>) {
        out.clear();
        match self.0 {
            Keys::Static(keys) => out.extend_from_slice(keys),
            Keys::Owned(keys) => out.extend(keys.iter().map(|k| &**k)),
        }
    }
}

impl fmt::Debug for LabelKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for LabelKeys<'_> {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.len() == N && self.iter().zip(other).all(|(a, b)| a == *b)
    }
}

impl PartialEq<&[&str]> for LabelKeys<'_> {
    fn eq(&self, other: &&[&str]) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == *b)
    }
}

impl PartialEq for LabelKeys<'_> {
    fn eq(&self, other: &LabelKeys<'_>) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

/// What each output format writes of a metric, worked out from its name, help, kind and unit:
/// the names, and the help escaped for each format.
#[derive(Debug)]
pub(crate) struct Heads {
    /// `"<name>":{"help":"<help>","type":"<kind>","value":`.
    pub(crate) json: String,
    /// The name every sample line of a counter, gauge or info metric starts with, in both text
    /// formats, and the base of a histogram's lines: a counter's name with `_total` (unless it
    /// keeps its exact name), an info metric's with `_info`.
    pub(crate) sample_name: String,
    /// The family name of OpenMetrics: the sample name less the `_total` or `_info` suffix.
    pub(crate) openmetrics_name: String,
    /// The `# TYPE` word of the Prometheus text format, and of OpenMetrics.
    pub(crate) prometheus_type: &'static str,
    pub(crate) openmetrics_type: &'static str,
    /// The help escaped for the Prometheus text format, and for OpenMetrics.
    pub(crate) prometheus_help: String,
    pub(crate) openmetrics_help: String,
}

impl Heads {
    pub(crate) fn new(d: &Descriptor) -> Self {
        let (name, help, kind) = (d.name(), d.help(), d.kind());
        let mut json = Vec::new();
        // Writing into a `Vec` cannot fail.
        let _ = crate::escape::write_json_str(&mut json, name);
        json.extend_from_slice(b":{\"help\":");
        let _ = crate::escape::write_json_str(&mut json, help);
        json.extend_from_slice(format!(",\"type\":\"{kind}\",\"value\":").as_bytes());
        // Escaped `&str`s and ASCII syntax: always UTF-8.
        let json = String::from_utf8_lossy(&json).into_owned();
        let suffixed = |suffix: &str| {
            let family = name.strip_suffix(suffix).unwrap_or(name);
            (format!("{family}{suffix}"), family.to_owned())
        };
        let (sample_name, openmetrics_name, openmetrics_type) = match kind {
            MetricKind::Counter if d.exact_name && !name.ends_with("_total") => {
                // OpenMetrics requires `_total` on a counter's samples: kept exact, the metric
                // is of unknown type there, under the same name as in the Prometheus text.
                (name.to_owned(), name.to_owned(), "unknown")
            }
            MetricKind::Counter => {
                let (sample, family) = suffixed("_total");
                (sample, family, "counter")
            }
            MetricKind::Info => {
                let (sample, family) = suffixed("_info");
                (sample, family, "info")
            }
            MetricKind::Gauge => (name.to_owned(), name.to_owned(), "gauge"),
            MetricKind::Histogram => (name.to_owned(), name.to_owned(), "histogram"),
        };
        let prometheus_type = match kind {
            MetricKind::Info => "gauge",
            kind => kind.as_str(),
        };
        Heads {
            json,
            sample_name,
            openmetrics_name,
            prometheus_type,
            openmetrics_type,
            prometheus_help: crate::escape::escape_help(help, false),
            openmetrics_help: crate::escape::escape_help(help, true),
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
            name: Cow::Borrowed(name),
            help: Cow::Borrowed(help),
            kind,
            label_keys: Keys::Static(label_keys),
            buckets: match buckets {
                Some(b) => Some(Cow::Borrowed(b)),
                None => None,
            },
            unit: None,
            exact_name: false,
            heads: OnceLock::new(),
        }
    }

    /// A descriptor made at run time, from owned strings.
    pub(crate) fn owned(
        name: String,
        help: String,
        kind: MetricKind,
        label_keys: Vec<String>,
        buckets: Option<Vec<f64>>,
    ) -> Self {
        Descriptor {
            name: Cow::Owned(name),
            help: Cow::Owned(help),
            kind,
            label_keys: Keys::Owned(label_keys.into_iter().map(String::into_boxed_str).collect()),
            buckets: buckets.map(Cow::Owned),
            unit: None,
            exact_name: false,
            heads: OnceLock::new(),
        }
    }

    /// The same descriptor with a unit (`seconds`, `bytes`...), which OpenMetrics writes as
    /// `# UNIT`. The name must end in `_<unit>` (before `_total` for a counter); the registry
    /// refuses the metric otherwise.
    pub const fn with_unit(mut self, unit: &'static str) -> Self {
        self.unit = Some(unit);
        self
    }

    /// The same descriptor, for a counter that keeps its name exactly in both text formats,
    /// with no `_total` added: what KumoMTA's own names look like. OpenMetrics, which requires
    /// `_total` on a counter's samples, then writes it as type `unknown` under that name, so
    /// that a Prometheus server stores it under one name whichever format it reads.
    pub const fn with_exact_name(mut self) -> Self {
        self.exact_name = true;
        self
    }

    /// The exported name, prefix included: the JSON member name, and the base of every text
    /// format's names.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The help text.
    pub fn help(&self) -> &str {
        &self.help
    }

    /// Counter, gauge, histogram or info.
    pub fn kind(&self) -> MetricKind {
        self.kind
    }

    /// The label keys in declared order; empty for a metric without labels.
    pub fn label_keys(&self) -> LabelKeys<'_> {
        LabelKeys(&self.label_keys)
    }

    /// The declared bucket bounds of a histogram, if it declared any.
    pub fn buckets(&self) -> Option<&[f64]> {
        self.buckets.as_deref()
    }

    /// The unit, if one was declared.
    pub fn unit(&self) -> Option<&str> {
        self.unit
    }

    /// Whether a counter keeps its exact name: see [`Descriptor::with_exact_name`].
    pub fn exact_name(&self) -> bool {
        self.exact_name
    }

    /// The name the samples of the Prometheus text format start with (a counter's with
    /// `_total`, an info metric's with `_info`): the series name a Prometheus server stores,
    /// the same from OpenMetrics.
    pub fn sample_name(&self) -> &str {
        &self.heads().sample_name
    }

    /// What each format writes of the metric, worked out at the first call (registration).
    pub(crate) fn heads(&self) -> &Heads {
        self.heads.get_or_init(|| Heads::new(self))
    }
}

impl Clone for Descriptor {
    fn clone(&self) -> Self {
        Descriptor {
            name: self.name.clone(),
            help: self.help.clone(),
            kind: self.kind,
            label_keys: self.label_keys.clone(),
            buckets: self.buckets.clone(),
            unit: self.unit,
            exact_name: self.exact_name,
            heads: OnceLock::new(),
        }
    }
}

impl fmt::Debug for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Descriptor")
            .field("name", &self.name())
            .field("help", &self.help())
            .field("kind", &self.kind)
            .field("label_keys", &self.label_keys())
            .field("buckets", &self.buckets())
            .field("unit", &self.unit())
            .field("exact_name", &self.exact_name)
            .finish()
    }
}
