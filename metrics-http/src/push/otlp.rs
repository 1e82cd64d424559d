//! OTLP over HTTP, protobuf.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use meterstick_core::Registry;

use super::task::{self, Target, Timing, timing_setters};
use super::{PushError, PushHandle};

/// Pushes the whole registry to an OpenTelemetry collector (or any OTLP/HTTP receiver) every
/// interval, as an `ExportMetricsServiceRequest` in protobuf (`POST`, such as to
/// `http://collector:4318/v1/metrics`).
///
/// Sums and histograms are cumulative, from the moment the pusher started: counters are
/// monotonic `Sum`s, gauges and info metrics `Gauge`s, histograms `Histogram`s and native
/// histograms `ExponentialHistogram`s ([`Registry::write_otlp`]). The resource's attributes
/// (`service.name`, `host.name`) are given here; the registry's constant labels go on every
/// data point. How failures are handled: [the module](super).
///
/// ```no_run
/// # async fn run(registry: std::sync::Arc<meterstick_core::Registry>) -> Result<(), meterstick_http::push::PushError> {
/// use meterstick_http::push::Otlp;
///
/// let pusher = Otlp::new("http://collector:4318/v1/metrics")
///     .resource([("service.name", "kumod"), ("host.name", "mx1")])
///     .start(registry)?;
/// # pusher.shutdown().await }
/// ```
#[derive(Clone, Debug)]
pub struct Otlp {
    url: String,
    resource: Vec<(String, String)>,
    timing: Timing,
}

impl Otlp {
    /// A pusher to the OTLP/HTTP metrics endpoint `url`, every 15 s.
    pub fn new(url: impl Into<String>) -> Self {
        Otlp {
            url: url.into(),
            resource: Vec::new(),
            timing: Timing::default(),
        }
    }

    /// The resource's attributes, as strings (`service.name` and the like).
    pub fn resource<I, K, V>(mut self, attributes: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.resource = super::pairs(attributes);
        self
    }

    timing_setters!();

    /// Starts pushing `registry` on the current tokio runtime; the first push is one interval
    /// from now ([`PushHandle::flush`] pushes at once). Fails for a URL that is not `http` or
    /// `https`.
    pub fn start(self, registry: Arc<Registry>) -> Result<PushHandle, PushError> {
        let resource = self.resource;
        task::start_periodic(&self.url, "otlp", registry, self.timing, |url| {
            Arc::new(Export {
                url,
                resource,
                started: unix_nano(),
            })
        })
    }
}

/// Now, in nanoseconds since the Unix epoch.
fn unix_nano() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

struct Export {
    url: reqwest::Url,
    resource: Vec<(String, String)>,
    started: u64,
}

impl Target for Export {
    fn name(&self) -> &'static str {
        "otlp"
    }

    fn body(&self, registry: &Registry) -> Vec<u8> {
        let mut body = Vec::new();
        registry.write_otlp(&self.resource, self.started, unix_nano(), &mut body);
        body
    }

    fn request(&self, client: &reqwest::Client, body: Vec<u8>) -> reqwest::RequestBuilder {
        client
            .post(self.url.clone())
            .header("Content-Type", "application/x-protobuf")
            .body(body)
    }
}
