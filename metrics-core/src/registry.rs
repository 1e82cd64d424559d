//! The registry: the groups a process exports, and the entry points of every format.

use std::collections::HashSet;
use std::io::{self, Write};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use serde::{Serialize, Serializer};

use crate::encode::{json, openmetrics, prometheus};
use crate::error::RegistryError;
use crate::group::{self, Descriptor, EncodeMetric, MetricGroup};

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
    /// Fails, registering nothing, if any of its metric names is already registered or appears
    /// twice in the group (through `#[metric(flatten)]`).
    pub fn register<T: MetricGroup>(&self, group: T) -> Result<Arc<T>, RegistryError> {
        let group = Arc::new(group);
        self.register_arc(Arc::clone(&group))?;
        Ok(group)
    }

    /// Adds a group that is already shared.
    pub fn register_arc<T: MetricGroup>(&self, group: Arc<T>) -> Result<(), RegistryError> {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let mut names = Vec::new();
        group.visit(&mut |d: &'static Descriptor, _: &dyn EncodeMetric| names.push(d.name()));
        let mut fresh = HashSet::with_capacity(names.len());
        for name in names {
            if inner.names.contains(name) || !fresh.insert(name) {
                return Err(RegistryError::DuplicateName { name });
            }
        }
        inner.names.extend(fresh);
        inner.groups.push(group);
        Ok(())
    }

    /// The descriptors of every registered metric, sorted by name.
    pub fn descriptors(&self) -> Vec<&'static Descriptor> {
        let groups = self.groups();
        group::collect(groups.iter().map(|g| &**g))
            .into_iter()
            .map(|(d, _)| d)
            .collect()
    }

    fn groups(&self) -> Vec<Arc<dyn MetricGroup>> {
        // Cloned out so that no lock is held while encoding: registering never waits for a scrape.
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .groups
            .clone()
    }

    /// Calls `f` with the metrics of every group, sorted by name.
    fn with_sorted<R>(&self, f: impl FnOnce(&group::Sorted<'_>) -> R) -> R {
        let groups = self.groups();
        f(&group::collect(groups.iter().map(|g| &**g)))
    }

    /// Runs an encoder into a `String`.
    fn render(
        &self,
        encode: impl FnOnce(&mut Vec<u8>, &group::Sorted<'_>) -> io::Result<()>,
    ) -> String {
        let mut out = Vec::with_capacity(4096);
        // Writing into a `Vec` cannot fail.
        let _ = self.with_sorted(|m| encode(&mut out, m));
        into_string(out)
    }

    /// Runs an encoder into `w` through a buffer.
    fn stream<W: Write>(
        &self,
        w: W,
        encode: impl FnOnce(&mut io::BufWriter<W>, &group::Sorted<'_>) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut w = io::BufWriter::with_capacity(16 * 1024, w);
        self.with_sorted(|m| encode(&mut w, m))?;
        w.flush()
    }

    /// The `/metrics.json` document, compact.
    pub fn to_json(&self) -> String {
        self.render(|out, m| json::write(out, m))
    }

    /// The `/metrics.json` document, indented by two spaces.
    pub fn to_json_pretty(&self) -> String {
        // Serializing into a `String` fails only on I/O, which a `String` has none of.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Writes the compact `/metrics.json` document into `w`, buffered.
    pub fn write_json<W: Write>(&self, w: W) -> io::Result<()> {
        self.stream(w, |w, m| json::write(w, m))
    }
}

impl Registry {
    /// The Prometheus text exposition (format 0.0.4).
    pub fn to_prometheus(&self) -> String {
        self.render(|out, m| prometheus::write(out, m, prometheus::Flavor::Prometheus))
    }

    /// Writes the Prometheus text exposition into `w`, buffered.
    pub fn write_prometheus<W: Write>(&self, w: W) -> io::Result<()> {
        self.stream(w, |w, m| {
            prometheus::write(w, m, prometheus::Flavor::Prometheus)
        })
    }

    /// The OpenMetrics 1.0 text exposition, `# EOF` included.
    pub fn to_openmetrics(&self) -> String {
        self.render(|out, m| openmetrics::write(out, m))
    }

    /// Writes the OpenMetrics 1.0 text exposition into `w`, buffered.
    pub fn write_openmetrics<W: Write>(&self, w: W) -> io::Result<()> {
        self.stream(w, |w, m| openmetrics::write(w, m))
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("metrics", &self.descriptors().len())
            .finish()
    }
}

impl Serialize for Registry {
    /// Serializes the registry as the `/metrics.json` document.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_sorted(|m| json::Metrics(m).serialize(serializer))
    }
}

fn into_string(bytes: Vec<u8>) -> String {
    // The encoders write only UTF-8: ASCII syntax around the `&str`s they are given.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
