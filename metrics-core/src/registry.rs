//! The registry: the groups a process exports, and the entry points of every format.

use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde::{Serialize, Serializer};

use crate::descriptor::Descriptor;
use crate::encode::{EncodeMetric, Format, MetricEncoder, Out, json, markdown};
use crate::error::RegistryError;
use crate::group::{self, MetricGroup};
use crate::metric::{MetricKind, Sample};

/// The set of metric groups that a process exports.
///
/// ```
/// # use meterstick_core::Registry;
/// let registry = Registry::new();
/// assert_eq!(registry.to_json(), "{}");
/// ```
#[derive(Default)]
pub struct Registry {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    groups: Vec<Arc<dyn MetricGroup>>,
    names: HashSet<&'static str>,
    default_max_series: Option<usize>,
}

impl Registry {
    /// Creates an empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// The process-wide registry, created empty on first use.
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(Registry::new)
    }

    /// Adds a group of metrics and returns it, shared, for the program to update.
    ///
    /// Fails, registering nothing, if any of its metric names is already registered, appears
    /// twice in the group (through `#[metric(flatten)]`), or starts with `meterstick_`, which is
    /// kept for the registry's own metrics (see [`OVERFLOW_METRIC_NAME`]).
    pub fn register<T: MetricGroup>(&self, group: T) -> Result<Arc<T>, RegistryError> {
        let group = Arc::new(group);
        self.register_arc(Arc::clone(&group))?;
        Ok(group)
    }

    /// Adds a group that is already shared.
    pub fn register_arc<T: MetricGroup>(&self, group: Arc<T>) -> Result<(), RegistryError> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let mut descriptors = Vec::new();
        group.visit(&mut |d: &'static Descriptor, _: &dyn EncodeMetric| descriptors.push(d));
        let mut fresh = HashSet::with_capacity(descriptors.len());
        for descriptor in &descriptors {
            // The derive checked these at compile time; a hand-written group is checked here.
            check_names(descriptor)?;
            let name = descriptor.name();
            if name.starts_with(RESERVED_PREFIX) {
                return Err(RegistryError::ReservedName { name });
            }
            if inner.names.contains(name) || !fresh.insert(name) {
                return Err(RegistryError::DuplicateName { name });
            }
        }
        inner.names.extend(fresh);
        // Formatted now, so that no scrape formats them.
        descriptors.iter().for_each(|d| {
            d.heads();
        });
        if let Some(max) = inner.default_max_series {
            group.visit(&mut |_: &'static Descriptor, m: &dyn EncodeMetric| {
                m.default_max_series(max)
            });
        }
        inner.groups.push(group);
        Ok(())
    }

    /// Limits every family without a `max_series` of its own to `max` series, in the groups
    /// registered so far and from now on. See [`Family::max_series`](crate::Family::max_series).
    pub fn set_default_max_series(&self, max: usize) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.default_max_series = Some(max);
        for group in &inner.groups {
            group.visit(&mut |_: &'static Descriptor, m: &dyn EncodeMetric| {
                m.default_max_series(max)
            });
        }
    }

    /// The descriptor of every exported metric, sorted by name: name, kind, help, label keys
    /// and buckets.
    pub fn describe(&self) -> Vec<&'static Descriptor> {
        self.with_sorted("", |m| m.iter().map(|(d, _)| *d).collect())
    }

    /// A Markdown reference page listing every metric: name, type, label keys, buckets and
    /// help, as a table sorted by name.
    pub fn describe_markdown(&self) -> String {
        markdown::render(&self.describe())
    }

    fn groups(&self) -> Vec<Arc<dyn MetricGroup>> {
        // Cloned out so that no lock is held while encoding: registering never waits for a scrape.
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .groups
            .clone()
    }

    /// Calls `f` with the metrics of every group whose name starts with `prefix`, sorted by name.
    /// The built-in `meterstick_series_overflow_total` is among them while any family has a
    /// limit.
    fn with_sorted<R>(&self, prefix: &str, f: impl FnOnce(&crate::encode::Sorted<'_>) -> R) -> R {
        let groups = self.groups();
        let metrics = group::collect(groups.iter().map(|g| &**g));
        let overflow = OverflowCounts(
            metrics
                .iter()
                .filter(|(_, m)| m.series_limit().is_some())
                .map(|(d, m)| (d.name(), *m))
                .collect(),
        );
        let mut sorted = metrics.clone();
        if !overflow.0.is_empty() {
            let descriptor: &'static Descriptor = &OVERFLOW_DESCRIPTOR;
            let at = sorted.partition_point(|(d, _)| d.name() < descriptor.name());
            sorted.insert(at, (descriptor, &overflow));
        }
        if !prefix.is_empty() {
            sorted.retain(|(d, _)| d.name().starts_with(prefix));
        }
        f(&sorted)
    }

    /// Writes the metrics whose names start with `name_prefix` (all of them for `""`) in
    /// `format` into `w`, buffered: what an HTTP endpoint streams.
    pub fn write_format<W: Write>(
        &self,
        format: Format,
        name_prefix: &str,
        w: W,
    ) -> io::Result<()> {
        let mut w = w;
        let mut out = Out::to_writer(&mut w);
        self.with_sorted(name_prefix, |m| format.write(&mut out, m))?;
        out.flush()
    }

    /// Renders every metric in `format` into a `String`.
    pub fn render(&self, format: Format) -> String {
        let mut out = Vec::with_capacity(4096);
        self.render_into(format, &mut out);
        into_string(out)
    }

    /// Appends every metric in `format` to `buf`: for a server that keeps one buffer across
    /// scrapes, so that the output reuses its memory instead of growing a new one each time.
    ///
    /// ```
    /// # use meterstick_core::{Format, Registry};
    /// let registry = Registry::new();
    /// let head = b"HTTP/1.1 200 OK\r\n\r\n";
    /// let mut buf = head.to_vec();
    /// registry.render_into(Format::Json, &mut buf);
    /// assert_eq!(buf[..head.len()], head[..]);
    /// assert_eq!(buf[head.len()..], *registry.to_json().as_bytes());
    /// buf.clear();
    /// registry.render_into(Format::Prometheus, &mut buf);
    /// assert_eq!(buf, registry.to_prometheus().into_bytes());
    /// ```
    pub fn render_into(&self, format: Format, buf: &mut Vec<u8>) {
        let mut out = Out::to_vec(std::mem::take(buf));
        // Writing into a `Vec` cannot fail.
        let _ = self.with_sorted("", |m| format.write(&mut out, m));
        *buf = out.into_vec();
    }

    /// The `/metrics.json` document, compact.
    pub fn to_json(&self) -> String {
        self.render(Format::Json)
    }

    /// The `/metrics.json` document, indented by two spaces.
    pub fn to_json_pretty(&self) -> String {
        // Serializing into a `String` fails only on I/O, which a `String` has none of.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Writes the compact `/metrics.json` document into `w`, buffered.
    pub fn write_json<W: Write>(&self, w: W) -> io::Result<()> {
        self.write_format(Format::Json, "", w)
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn to_prometheus(&self) -> String {
        self.render(Format::Prometheus)
    }

    /// Writes the Prometheus text exposition into `w`, buffered.
    pub fn write_prometheus<W: Write>(&self, w: W) -> io::Result<()> {
        self.write_format(Format::Prometheus, "", w)
    }

    /// The OpenMetrics 1.0 text exposition, `# EOF` included.
    pub fn to_openmetrics(&self) -> String {
        self.render(Format::OpenMetrics)
    }

    /// Writes the OpenMetrics 1.0 text exposition into `w`, buffered.
    pub fn write_openmetrics<W: Write>(&self, w: W) -> io::Result<()> {
        self.write_format(Format::OpenMetrics, "", w)
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("metrics", &self.describe().len())
            .finish()
    }
}

impl Serialize for Registry {
    /// Serializes the registry as the `/metrics.json` document.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_sorted("", |m| json::serialize(m, serializer))
    }
}

/// The name of the built-in counter of lookups sent to overflow series.
pub const OVERFLOW_METRIC_NAME: &str = "meterstick_series_overflow_total";

/// The start of every built-in metric's name; no registered metric may have it, so a built-in
/// metric added in any order, or in a later version, never clashes with a user's.
const RESERVED_PREFIX: &str = "meterstick_";

static OVERFLOW_DESCRIPTOR: Descriptor = Descriptor::new(
    OVERFLOW_METRIC_NAME,
    "lookups sent to the overflow series, per metric: new label values once the family was \
     full, and the reserved overflow values themselves",
    MetricKind::Counter,
    &["metric"],
    None,
);

/// Whether a descriptor's name and label keys are valid in every format, with the derive's rules.
fn check_names(d: &'static Descriptor) -> Result<(), RegistryError> {
    let valid = |s: &str, colon: bool| {
        let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || (colon && c == b':');
        s.bytes()
            .next()
            .is_some_and(|c| !c.is_ascii_digit() && word(c))
            && s.bytes().all(word)
    };
    if !valid(d.name(), true) {
        return Err(RegistryError::InvalidName { name: d.name() });
    }
    let mut keys = HashSet::new();
    for key in d.label_keys() {
        if !valid(key, false) || key.starts_with("__") || *key == "le" || !keys.insert(key) {
            return Err(RegistryError::InvalidLabelKey {
                name: d.name(),
                key,
            });
        }
    }
    Ok(())
}

/// The overflow counts of the limited families, by metric name.
struct OverflowCounts<'a>(Vec<(&'static str, &'a dyn EncodeMetric)>);

impl EncodeMetric for OverflowCounts<'_> {
    fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
        self.0.iter().try_for_each(|(name, metric)| {
            let (_, overflowed) = metric.series_limit().unwrap_or_default();
            encoder.series(&[name], Sample::Counter(overflowed))
        })
    }
}

fn into_string(bytes: Vec<u8>) -> String {
    // The encoders write only UTF-8: ASCII syntax around the `&str`s they are given.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Counter, Visitor};

    struct HandWritten(&'static Descriptor, Counter);

    impl MetricGroup for HandWritten {
        fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
            visitor.visit_metric(self.0, &self.1);
        }
    }

    fn register(d: Descriptor) -> Result<(), RegistryError> {
        let d: &'static Descriptor = Box::leak(Box::new(d));
        Registry::new()
            .register(HandWritten(d, Counter::new()))
            .map(drop)
    }

    #[test]
    fn a_hand_written_descriptor_is_checked_as_the_derive_checks() {
        let counter = |name, keys| Descriptor::new(name, "help", MetricKind::Counter, keys, None);
        assert_eq!(register(counter("ok:name_2", &["k", "_k2"])), Ok(()));
        for name in ["", "2xx", "a-b", "é"] {
            assert_eq!(
                register(counter(name, &[])),
                Err(RegistryError::InvalidName { name })
            );
        }
        for key in ["", "le", "__k", "a:b", "k k"] {
            let keys: &'static [&'static str] = Box::leak(Box::new(["x", key]));
            assert_eq!(
                register(counter("m", keys)),
                Err(RegistryError::InvalidLabelKey { name: "m", key })
            );
        }
        assert_eq!(
            register(counter("m", &["x", "x"])),
            Err(RegistryError::InvalidLabelKey {
                name: "m",
                key: "x"
            })
        );
        let err = register(counter("a-b", &[])).unwrap_err().to_string();
        assert!(err.starts_with("`a-b` is not a valid metric name"), "{err}");
    }
}
