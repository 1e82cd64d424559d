//! Prometheus remote write 1.0.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use meterstick_core::Registry;

use super::task::{self, Target, Timing, timing_setters};
use super::{PushError, PushHandle};

/// Pushes the whole registry to a Prometheus remote-write receiver every interval: Prometheus
/// (`--web.enable-remote-write-receiver`, at `/api/v1/write`), VictoriaMetrics
/// (`/api/v1/write`), Grafana Agent, Mimir, Thanos Receive.
///
/// Each push is one request of remote write 1.0: a snappy-compressed `WriteRequest` of one
/// time series per sample the text formats would write, all at the time of the push, with the
/// registry's constant labels and those given here on every series
/// ([`Registry::write_remote_write`]). How failures are handled: [the module](super).
///
/// ```no_run
/// # async fn run(registry: std::sync::Arc<meterstick_core::Registry>) -> Result<(), meterstick_http::push::PushError> {
/// use std::time::Duration;
/// use meterstick_http::push::RemoteWrite;
///
/// let pusher = RemoteWrite::new("http://prometheus:9090/api/v1/write")
///     .interval(Duration::from_secs(15))
///     .labels([("instance", "mx1"), ("job", "kumod")])
///     .start(registry)?;
/// // ... the program runs ...
/// pusher.shutdown().await?; // one last push
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RemoteWrite {
    url: String,
    labels: Vec<(String, String)>,
    timing: Timing,
}

impl RemoteWrite {
    /// A pusher to the remote-write endpoint `url`, every 15 s.
    pub fn new(url: impl Into<String>) -> Self {
        RemoteWrite {
            url: url.into(),
            labels: Vec::new(),
            timing: Timing::default(),
        }
    }

    /// Labels added to every series, after the registry's constant labels (`instance`, `job`).
    /// A metric with a label key of the same name keeps its own value, as a series' labels win
    /// over Prometheus's external labels.
    pub fn labels<I, K, V>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.labels = super::pairs(labels);
        self
    }

    timing_setters!();

    /// Starts pushing `registry` on the current tokio runtime; the first push is one interval
    /// from now ([`PushHandle::flush`] pushes at once). Fails for a URL that is not `http` or
    /// `https`, or labels whose keys are not valid or meet the registry's constant labels.
    pub fn start(self, registry: Arc<Registry>) -> Result<PushHandle, PushError> {
        check_labels(&registry, &self.labels)?;
        let labels = self.labels;
        task::start_periodic(&self.url, "remote_write", registry, self.timing, |url| {
            Arc::new(Write { url, labels })
        })
    }
}

/// Checks `labels` as constant labels of a registry, and against `registry`'s own.
pub(crate) fn check_labels(
    registry: &Registry,
    labels: &[(String, String)],
) -> Result<(), PushError> {
    Registry::with_labels(labels.iter().cloned()).map_err(|e| PushError::Invalid(e.to_string()))?;
    if let Some((key, _)) = labels
        .iter()
        .find(|(key, _)| registry_has_constant(registry, key))
    {
        return Err(PushError::Invalid(format!(
            "label `{key}` is already one of the registry's constant labels"
        )));
    }
    Ok(())
}

/// Whether `key` is a constant label of `registry`.
fn registry_has_constant(registry: &Registry, key: &str) -> bool {
    registry.constant_labels().iter().any(|(k, _)| k == key)
}

struct Write {
    url: reqwest::Url,
    labels: Vec<(String, String)>,
}

impl Target for Write {
    fn name(&self) -> &'static str {
        "remote_write"
    }

    fn body(&self, registry: &Registry) -> Vec<u8> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut request = Vec::new();
        registry.write_remote_write(&self.labels, now, &mut request);
        // Compressing a `Vec` cannot fail but for a body past the snappy format's 4 GiB.
        snap::raw::Encoder::new()
            .compress_vec(&request)
            .unwrap_or_default()
    }

    fn request(&self, client: &reqwest::Client, body: Vec<u8>) -> reqwest::RequestBuilder {
        client
            .post(self.url.clone())
            .header("Content-Encoding", "snappy")
            .header("Content-Type", "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .body(body)
    }
}
