//! The registry: the groups a process exports, and the entry points of every format.

use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use serde::{Serialize, Serializer};

use crate::callback::{CounterFn, GaugeFn};
use crate::counter::Counter;
use crate::descriptor::Descriptor;
use crate::encode::{Context, EncodeMetric, Format, MetricEncoder, Out, json, markdown};
use crate::error::{LabelKeyProblem, RegistryError};
use crate::escape::write_label_value;
use crate::family::Family;
use crate::gauge::Gauge;
use crate::group::{self, MetricGroup, Named};
use crate::histogram::{Buckets, Histogram};
use crate::label::LabelSet;
use crate::metric::{Metric, MetricKind, Sample};
use crate::native::{NativeHistogram, NativeOptions};
use crate::rules;
use crate::value::{CounterValue, GaugeValue};

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
    /// The constant labels as the text formats write them: `k="v",...`, escaped.
    constant_labels: String,
    /// The constant labels as given: keys and values.
    constant: Vec<(String, String)>,
    /// meterstick's own counter families, by name: [`Registry::own_counter_family`].
    own: Mutex<Vec<(&'static str, Arc<OwnFamily>)>>,
}

/// A counter family of meterstick's own, with two label keys.
pub type OwnFamily = Family<Counter, (String, String)>;

#[derive(Default)]
struct Inner {
    groups: Vec<Entry>,
    /// Every name taken: each metric's name, and its sample name where that differs (a
    /// counter's with `_total`, an info metric's with `_info`), so that no two metrics meet
    /// under one name in any format.
    names: HashSet<Box<str>>,
    default_max_series: Option<usize>,
}

struct Entry {
    group: Arc<dyn MetricGroup>,
    /// The name of a metric registered by name, which [`Registry::unregister`] removes.
    named: Option<Box<str>>,
}

/// What an export adds to the metrics or leaves out: a prefix to every name, as KumoMTA's
/// `GET /metrics?prefix=P` has it, and a filter on the names.
///
/// ```
/// # use meterstick_core::{Format, Registry, Scrape};
/// let registry = Registry::new();
/// let queued = registry.gauge("queued", "messages waiting").unwrap();
/// queued.set(3);
/// let scrape = Scrape::new().prefix("kumo_").unwrap();
/// let mut out = Vec::new();
/// registry.write_format(Format::Prometheus, scrape, &mut out).unwrap();
/// assert!(String::from_utf8(out).unwrap().ends_with("kumo_queued 3\n"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scrape<'a> {
    prefix: &'a str,
    filter: &'a str,
}

impl<'a> Scrape<'a> {
    /// Every metric, under its own name.
    pub const fn new() -> Self {
        Scrape {
            prefix: "",
            filter: "",
        }
    }

    /// Prepends `prefix` to every metric name, in every format. Fails unless the prefix keeps
    /// names valid: ASCII letters, digits, `_` and `:`, not starting with a digit.
    pub fn prefix(self, prefix: &'a str) -> Result<Self, RegistryError> {
        if rules::is_name_prefix(prefix) {
            Ok(Scrape { prefix, ..self })
        } else {
            Err(RegistryError::InvalidPrefix {
                prefix: prefix.into(),
            })
        }
    }

    /// Keeps only the metrics whose registered name (before any [`Scrape::prefix`]) starts with
    /// `filter`.
    pub fn filter(self, filter: &'a str) -> Self {
        Scrape { filter, ..self }
    }
}

impl Registry {
    /// Creates an empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Creates an empty registry whose text formats write these constant labels on every
    /// series, before the metric's own: the `instance` or `region` that sets this process apart
    /// from others that export the same metrics.
    ///
    /// Keys follow the rules of label keys (and may not be `metric`, the key of the built-in
    /// `meterstick_series_overflow_total`); values may be anything. A metric that declares one
    /// of these keys itself is refused at registration. `/metrics.json` does not show them: the
    /// document has no place for labels shared by every metric, and a reader of it knows which
    /// process it asked.
    ///
    /// ```
    /// # use meterstick_core::Registry;
    /// let registry = Registry::with_labels([("instance", "mx1")]).unwrap();
    /// registry.counter("sent", "messages sent").unwrap().inc();
    /// assert!(registry.to_prometheus().ends_with("sent_total{instance=\"mx1\"} 1\n"));
    /// ```
    pub fn with_labels<I, K, V>(labels: I) -> Result<Registry, RegistryError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: AsRef<str>,
    {
        let mut registry = Registry::new();
        let mut rendered = Vec::new();
        for (key, value) in labels {
            let key: String = key.into();
            if key == OVERFLOW_LABEL_KEY {
                return Err(RegistryError::InvalidLabelKey {
                    name: String::new(),
                    key,
                    problem: LabelKeyProblem::Overflow,
                });
            }
            if !rendered.is_empty() {
                rendered.push(b',');
            }
            rendered.extend_from_slice(key.as_bytes());
            rendered.extend_from_slice(b"=\"");
            // Writing into a `Vec` cannot fail.
            let _ = write_label_value(&mut rendered, value.as_ref().as_bytes());
            rendered.push(b'"');
            registry.constant.push((key, value.as_ref().to_owned()));
        }
        rules::check_label_keys("", registry.constant.iter().map(|(k, _)| k.as_str()))?;
        registry.constant_labels = into_string(rendered);
        Ok(registry)
    }

    /// The constant labels given to [`Registry::with_labels`], as given.
    pub fn constant_labels(&self) -> &[(String, String)] {
        &self.constant
    }

    /// The process-wide registry, created empty on first use.
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(Registry::new)
    }

    /// Adds a group of metrics and returns it, shared, for the program to update.
    ///
    /// Fails, registering nothing, if any of its metric names is already registered (a
    /// counter's name with `_total` counts too), appears twice in the group (through
    /// `#[metric(flatten)]`), or starts with `meterstick_`, which is kept for the registry's own
    /// metrics (see [`OVERFLOW_METRIC_NAME`]); or if a metric declares a label key that the
    /// registry adds as a constant label ([`Registry::with_labels`]).
    pub fn register<T: MetricGroup>(&self, group: T) -> Result<Arc<T>, RegistryError> {
        let group = Arc::new(group);
        self.register_arc(Arc::clone(&group))?;
        Ok(group)
    }

    /// Adds a group that is already shared.
    pub fn register_arc<T: MetricGroup>(&self, group: Arc<T>) -> Result<(), RegistryError> {
        self.add(group, None)
    }

    /// A counter family of meterstick's own, under a `meterstick_` name no user metric may
    /// take, registered on first use and the same one after: how meterstick's other crates (the
    /// pushers) count what they do.
    #[doc(hidden)]
    pub fn own_counter_family(
        &self,
        name: &'static str,
        help: &'static str,
        keys: [&'static str; 2],
    ) -> Result<Arc<OwnFamily>, RegistryError> {
        let mut own = self.own.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, family)) = own.iter().find(|(n, _)| *n == name) {
            return Ok(Arc::clone(family));
        }
        let family = Arc::new(Family::new());
        let group = Named {
            descriptor: Descriptor::owned(
                name.into(),
                help.into(),
                MetricKind::Counter,
                keys.iter().map(|k| (*k).to_owned()).collect(),
                None,
            ),
            metric: Arc::clone(&family),
        };
        self.add_checked(Arc::new(group), None, true)?;
        own.push((name, Arc::clone(&family)));
        Ok(family)
    }

    fn add(
        &self,
        group: Arc<dyn MetricGroup>,
        named: Option<Box<str>>,
    ) -> Result<(), RegistryError> {
        self.add_checked(group, named, false)
    }

    fn add_checked(
        &self,
        group: Arc<dyn MetricGroup>,
        named: Option<Box<str>>,
        own: bool,
    ) -> Result<(), RegistryError> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let descriptors = group::collect([&*group]);
        let mut fresh: HashSet<&str> = HashSet::with_capacity(2 * descriptors.len());
        for (descriptor, _) in &descriptors {
            // The derive checked these at compile time; a hand-written group is checked here.
            self.check(descriptor)?;
            let name = descriptor.name();
            if name.starts_with(RESERVED_PREFIX) != own {
                return Err(RegistryError::ReservedName { name: name.into() });
            }
            let sample_name = descriptor.sample_name();
            let claims = [Some(name), (sample_name != name).then_some(sample_name)];
            for taken in claims.into_iter().flatten() {
                if inner.names.contains(taken) || !fresh.insert(taken) {
                    return Err(RegistryError::DuplicateName { name: taken.into() });
                }
            }
        }
        inner.names.extend(fresh.into_iter().map(Box::from));
        drop(descriptors);
        if let Some(max) = inner.default_max_series {
            group.visit(&mut |_: &Descriptor, m: &dyn EncodeMetric| m.default_max_series(max));
        }
        inner.groups.push(Entry { group, named });
        Ok(())
    }

    /// Checks a descriptor with the derive's rules, and against the constant labels.
    fn check(&self, d: &Descriptor) -> Result<(), RegistryError> {
        let name = d.name();
        rules::check_name(name)?;
        rules::check_help(name, d.help())?;
        rules::check_label_keys(name, d.label_keys().iter())?;
        if let Some(unit) = d.unit() {
            rules::check_unit(name, d.kind(), unit)?;
        }
        if let Some(key) = d
            .label_keys()
            .iter()
            .find(|k| self.constant.iter().any(|(c, _)| c == k))
        {
            return Err(RegistryError::ConstantLabel {
                name: name.into(),
                key: key.into(),
            });
        }
        Ok(())
    }

    /// Registers one metric by name: `descriptor` was made from what the caller gave.
    fn add_named<M: EncodeMetric + 'static>(
        &self,
        descriptor: Descriptor,
        metric: M,
    ) -> Result<Arc<M>, RegistryError> {
        let metric = Arc::new(metric);
        let named: Box<str> = descriptor.name().into();
        let group = Named {
            descriptor,
            metric: Arc::clone(&metric),
        };
        self.add(Arc::new(group), Some(named))?;
        Ok(metric)
    }

    /// Registers a counter named at run time (a plugin's, a script's), held to the derive's
    /// rules: a valid name not yet taken, help text. [`Registry::unregister`] removes it.
    ///
    /// ```
    /// # use meterstick_core::Registry;
    /// let registry = Registry::new();
    /// let plugin = "spam_filter";
    /// let calls = registry.counter(&format!("{plugin}_calls"), "calls of the plugin")?;
    /// calls.inc();
    /// assert!(registry.to_prometheus().contains("spam_filter_calls_total 1\n"));
    /// assert!(registry.counter("spam filter", "calls").is_err());
    /// # Ok::<(), meterstick_core::RegistryError>(())
    /// ```
    pub fn counter(&self, name: &str, help: &str) -> Result<Arc<Counter>, RegistryError> {
        self.named(name, help, MetricKind::Counter, &[], None, Counter::new())
    }

    /// As [`Registry::counter`], for a counter of `f64` (seconds, say).
    pub fn counter_f64(&self, name: &str, help: &str) -> Result<Arc<Counter<f64>>, RegistryError> {
        self.named(name, help, MetricKind::Counter, &[], None, Counter::new())
    }

    /// As [`Registry::counter`], for a gauge.
    pub fn gauge(&self, name: &str, help: &str) -> Result<Arc<Gauge>, RegistryError> {
        self.named(name, help, MetricKind::Gauge, &[], None, Gauge::new())
    }

    /// As [`Registry::counter`], for a gauge of `f64`.
    pub fn gauge_f64(&self, name: &str, help: &str) -> Result<Arc<Gauge<f64>>, RegistryError> {
        self.named(name, help, MetricKind::Gauge, &[], None, Gauge::new())
    }

    /// As [`Registry::counter`], for a gauge whose value `f` gives at export time.
    pub fn gauge_fn<V: GaugeValue>(
        &self,
        name: &str,
        help: &str,
        f: impl Fn() -> V + Send + Sync + 'static,
    ) -> Result<Arc<GaugeFn<V>>, RegistryError> {
        self.named(
            name,
            help,
            MetricKind::Gauge,
            &[],
            None,
            GaugeFn::with_fn(f),
        )
    }

    /// As [`Registry::counter`], for a counter whose total `f` gives at export time.
    pub fn counter_fn<V: CounterValue>(
        &self,
        name: &str,
        help: &str,
        f: impl Fn() -> V + Send + Sync + 'static,
    ) -> Result<Arc<CounterFn<V>>, RegistryError> {
        self.named(
            name,
            help,
            MetricKind::Counter,
            &[],
            None,
            CounterFn::with_fn(f),
        )
    }

    /// As [`Registry::counter`], for a histogram with these buckets.
    pub fn histogram(
        &self,
        name: &str,
        help: &str,
        buckets: Buckets,
    ) -> Result<Arc<Histogram>, RegistryError> {
        let bounds = buckets.bounds().to_vec();
        self.named(
            name,
            help,
            MetricKind::Histogram,
            &[],
            Some(bounds),
            Histogram::new(buckets),
        )
    }

    /// As [`Registry::counter`], for a native histogram with these options.
    ///
    /// ```
    /// # use meterstick_core::{NativeOptions, Registry};
    /// let registry = Registry::new();
    /// let latency = registry.native_histogram(
    ///     "request_seconds",
    ///     "time to answer a request",
    ///     NativeOptions::new(4, 100, 0.0)?,
    /// )?;
    /// latency.observe(0.042);
    /// assert_eq!(latency.count(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn native_histogram(
        &self,
        name: &str,
        help: &str,
        options: NativeOptions,
    ) -> Result<Arc<NativeHistogram>, RegistryError> {
        self.named(
            name,
            help,
            MetricKind::Histogram,
            &[],
            None,
            NativeHistogram::new(options),
        )
    }

    /// Registers a family named at run time, with its label keys, one per value of `L`.
    /// Lookups on it are those of a family declared with the derive: the same type, the same
    /// code.
    ///
    /// ```
    /// # use meterstick_core::{Counter, Registry};
    /// let registry = Registry::new();
    /// let hits = registry.family::<Counter, (String, String)>(
    ///     "cache_hits",
    ///     "cache hits per cache and tier",
    ///     &["cache", "tier"],
    /// )?;
    /// hits.inc(("dns", "memory"));
    /// assert_eq!(hits.get(("dns", "memory")), Some(1));
    /// # Ok::<(), meterstick_core::RegistryError>(())
    /// ```
    pub fn family<M, L>(
        &self,
        name: &str,
        help: &str,
        keys: &[&str],
    ) -> Result<Arc<Family<M, L>>, RegistryError>
    where
        M: Metric,
        M::Options: Default,
        L: LabelSet,
        Family<M, L>: EncodeMetric,
    {
        self.family_with(name, help, keys, M::Options::default())
    }

    /// As [`Registry::family`], with the options every series is built from: a histogram
    /// family's buckets.
    pub fn family_with<M, L>(
        &self,
        name: &str,
        help: &str,
        keys: &[&str],
        options: M::Options,
    ) -> Result<Arc<Family<M, L>>, RegistryError>
    where
        M: Metric,
        L: LabelSet,
        Family<M, L>: EncodeMetric,
    {
        if keys.len() != L::ARITY {
            rules::check_name(name)?;
            return Err(RegistryError::LabelArity {
                name: name.into(),
                given: keys.len(),
                arity: L::ARITY,
                label_type: short_type_name(std::any::type_name::<L>()),
            });
        }
        let buckets = M::declared_buckets(&options).map(<[f64]>::to_vec);
        let family = Family::<M, L>::with_options(options);
        self.named(name, help, M::KIND, keys, buckets, family)
    }

    fn named<M: EncodeMetric + 'static>(
        &self,
        name: &str,
        help: &str,
        kind: MetricKind,
        keys: &[&str],
        buckets: Option<Vec<f64>>,
        metric: M,
    ) -> Result<Arc<M>, RegistryError> {
        // Trimmed as the derive trims: the text formats cannot carry white space at either end.
        let descriptor = Descriptor::owned(
            name.into(),
            help.trim().into(),
            kind,
            keys.iter().map(|k| (*k).to_owned()).collect(),
            buckets,
        );
        self.add_named(descriptor, metric)
    }

    /// Removes a metric registered by name ([`Registry::counter`] and the others), so that it
    /// is no longer exported and its name is free again. Returns whether there was one; the
    /// metrics of a group registered with [`Registry::register`] are not removed one by one.
    /// Handles to the metric keep working, unexported.
    pub fn unregister(&self, name: &str) -> bool {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let Some(at) = inner
            .groups
            .iter()
            .position(|e| e.named.as_deref() == Some(name))
        else {
            return false;
        };
        let entry = inner.groups.swap_remove(at);
        entry
            .group
            .visit(&mut |d: &Descriptor, _: &dyn EncodeMetric| {
                inner.names.remove(d.name());
                inner.names.remove(d.sample_name());
            });
        drop(inner);
        // The metric (unless the caller holds it) is dropped after the lock is let go.
        drop(entry);
        true
    }

    /// Limits every family without a `max_series` of its own to `max` series, in the groups
    /// registered so far and from now on. See [`Family::max_series`](crate::Family::max_series).
    pub fn set_default_max_series(&self, max: usize) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.default_max_series = Some(max);
        for entry in &inner.groups {
            entry
                .group
                .visit(&mut |_: &Descriptor, m: &dyn EncodeMetric| m.default_max_series(max));
        }
    }

    /// The descriptor of every exported metric, sorted by name: name, kind, help, label keys,
    /// buckets and unit.
    pub fn describe(&self) -> Vec<Descriptor> {
        self.with_sorted("", |m| m.iter().map(|(d, _)| (*d).clone()).collect())
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
            .iter()
            .map(|e| Arc::clone(&e.group))
            .collect()
    }

    /// Calls `f` with the metrics of every group whose name starts with `filter`, sorted by
    /// name. The built-in `meterstick_series_overflow_total` is among them while any family has
    /// a limit.
    fn with_sorted<R>(&self, filter: &str, f: impl FnOnce(&crate::encode::Sorted<'_>) -> R) -> R {
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
            let descriptor: &Descriptor = &OVERFLOW_DESCRIPTOR;
            let at = sorted.partition_point(|(d, _)| d.name() < descriptor.name());
            sorted.insert(at, (descriptor, &overflow));
        }
        if !filter.is_empty() {
            sorted.retain(|(d, _)| d.name().starts_with(filter));
        }
        f(&sorted)
    }

    /// Writes the metrics in `format` into `w`, buffered, with what `scrape` adds or leaves
    /// out: what an HTTP endpoint streams.
    pub fn write_format<W: Write>(
        &self,
        format: Format,
        scrape: Scrape<'_>,
        w: W,
    ) -> io::Result<()> {
        let mut w = w;
        let mut out = Out::to_writer(&mut w);
        let context = self.context(scrape.prefix);
        self.with_sorted(scrape.filter, |m| format.write(&mut out, m, &context))?;
        out.flush()
    }

    fn context<'a>(&'a self, prefix: &'a str) -> Context<'a> {
        Context {
            // Checked when the `Scrape` was made.
            prefix,
            constant_labels: &self.constant_labels,
            constant: &self.constant,
        }
    }

    /// Renders every metric in `format` into a `String`: for the text formats.
    /// [`Format::Protobuf`] is binary; take it from [`Registry::to_protobuf`] (here it comes
    /// out with every byte that is not UTF-8 replaced, which no reader can use).
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
        let context = self.context("");
        // Writing into a `Vec` cannot fail.
        let _ = self.with_sorted("", |m| format.write(&mut out, m, &context));
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
        self.write_format(Format::Json, Scrape::new(), w)
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn to_prometheus(&self) -> String {
        self.render(Format::Prometheus)
    }

    /// Writes the Prometheus text exposition into `w`, buffered.
    pub fn write_prometheus<W: Write>(&self, w: W) -> io::Result<()> {
        self.write_format(Format::Prometheus, Scrape::new(), w)
    }

    /// The OpenMetrics 1.0 text exposition, `# EOF` included.
    pub fn to_openmetrics(&self) -> String {
        self.render(Format::OpenMetrics)
    }

    /// Writes the OpenMetrics 1.0 text exposition into `w`, buffered.
    pub fn write_openmetrics<W: Write>(&self, w: W) -> io::Result<()> {
        self.write_format(Format::OpenMetrics, Scrape::new(), w)
    }

    /// Appends to `out` the body of a Prometheus remote-write 1.0 request of every metric, before
    /// its snappy compression: a `WriteRequest` of one `TimeSeries` per sample the text formats
    /// would write, every one at `timestamp_ms` (milliseconds since the Unix epoch), with the
    /// registry's constant labels and `labels` on every series. What
    /// `meterstick::push::RemoteWrite` sends.
    ///
    /// ```
    /// # use meterstick_core::Registry;
    /// let registry = Registry::new();
    /// registry.counter("sent", "messages sent")?.inc();
    /// let mut body = Vec::new();
    /// registry.write_remote_write(&[("instance".into(), "mx1".into())], 1_700_000_000_000, &mut body);
    /// assert!(body.windows(10).any(|w| w == b"sent_total"));
    /// # Ok::<(), meterstick_core::RegistryError>(())
    /// ```
    pub fn write_remote_write(
        &self,
        labels: &[(String, String)],
        timestamp_ms: i64,
        out: &mut Vec<u8>,
    ) {
        let mut constant = self.constant.clone();
        constant.extend(labels.iter().cloned());
        let context = Context {
            prefix: "",
            constant_labels: &self.constant_labels,
            constant: &constant,
        };
        let mut w = Out::to_vec(std::mem::take(out));
        // Writing into a `Vec` cannot fail.
        let _ = self.with_sorted("", |m| {
            crate::encode::remote_write::write(&mut w, m, &context, timestamp_ms)
        });
        *out = w.into_vec();
    }

    /// Appends to `out` the body of an OTLP/HTTP metrics export of every metric, protobuf: an
    /// `ExportMetricsServiceRequest` with `resource` as the resource's attributes, the
    /// registry's constant labels on every data point, every sum and histogram cumulative from
    /// `start_unix_nano` to `unix_nano` (nanoseconds since the Unix epoch). What
    /// `meterstick::push::Otlp` sends.
    pub fn write_otlp(
        &self,
        resource: &[(String, String)],
        start_unix_nano: u64,
        unix_nano: u64,
        out: &mut Vec<u8>,
    ) {
        let context = self.context("");
        let times = crate::encode::otlp::Times {
            start_unix_nano,
            unix_nano,
        };
        let mut w = Out::to_vec(std::mem::take(out));
        // Writing into a `Vec` cannot fail.
        let _ = self.with_sorted("", |m| {
            crate::encode::otlp::write(&mut w, m, &context, resource, times)
        });
        *out = w.into_vec();
    }

    /// The protobuf exposition: length-delimited `io.prometheus.client.MetricFamily`
    /// messages, [`PROTOBUF_CONTENT_TYPE`](crate::PROTOBUF_CONTENT_TYPE).
    pub fn to_protobuf(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4096);
        self.render_into(Format::Protobuf, &mut out);
        out
    }

    /// Writes the protobuf exposition into `w`, buffered.
    pub fn write_protobuf<W: Write>(&self, w: W) -> io::Result<()> {
        self.write_format(Format::Protobuf, Scrape::new(), w)
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
    &[OVERFLOW_LABEL_KEY],
    None,
);

/// The label key of the built-in overflow counter.
const OVERFLOW_LABEL_KEY: &str = "metric";

/// The overflow counts of the limited families, by metric name.
struct OverflowCounts<'a>(Vec<(&'a str, &'a dyn EncodeMetric)>);

impl EncodeMetric for OverflowCounts<'_> {
    fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
        self.0.iter().try_for_each(|(name, metric)| {
            let (_, overflowed) = metric.series_limit().unwrap_or_default();
            encoder.series(&[name], Sample::Counter(overflowed))
        })
    }
}

/// A type's name without its paths, as written in code: `(String, String)`.
fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut word = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or_default());
            word.clear();
            out.push(c);
        }
    }
    out.push_str(word.rsplit("::").next().unwrap_or_default());
    out
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
                Err(RegistryError::InvalidName { name: name.into() })
            );
        }
        let problems = [
            ("", LabelKeyProblem::Invalid),
            ("le", LabelKeyProblem::Le),
            ("__k", LabelKeyProblem::Reserved),
            ("a:b", LabelKeyProblem::Invalid),
            ("k k", LabelKeyProblem::Invalid),
            ("x", LabelKeyProblem::Twice),
        ];
        for (key, problem) in problems {
            let keys: &'static [&'static str] = Box::leak(Box::new(["x", key]));
            assert_eq!(
                register(counter("m", keys)),
                Err(RegistryError::InvalidLabelKey {
                    name: "m".into(),
                    key: key.into(),
                    problem
                })
            );
        }
        let err = register(counter("a-b", &[])).unwrap_err().to_string();
        assert!(err.starts_with("`a-b` is not a valid metric name"), "{err}");
    }
}
