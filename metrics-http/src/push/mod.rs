//! Pushing the registry to where fleets keep their metrics (feature `push`): Prometheus remote
//! write ([`RemoteWrite`]), the Pushgateway ([`Pushgateway`]) and OpenTelemetry collectors
//! ([`Otlp`]).
//!
//! Push instead of being scraped when nothing can reach the process to scrape it: a batch job
//! that ends before a scrape would come (the Pushgateway), a process behind NAT or a short-lived
//! function (remote write to Prometheus, VictoriaMetrics or an agent), a fleet that sends
//! everything through an OpenTelemetry collector (OTLP).
//!
//! The periodic pushers ([`RemoteWrite`], [`Otlp`]) run as a task on the tokio runtime they are
//! started on and answer to a [`PushHandle`]. What they promise:
//!
//! - **An update never waits for a push.** A push reads the registry as a scrape does: the
//!   atomics, with no lock held on them.
//! - **Memory stays bounded.** One request at most is in flight; while the receiver is down the
//!   pusher keeps nothing but the registry itself, and each attempt sends what the registry
//!   holds then. Counters, histograms and info are cumulative, so nothing the registry still
//!   holds is lost by sending the latest state in place of the ones missed; a gauge's values in
//!   between are not kept.
//! - **Failures are retried with backoff.** A connection error, a timeout, a `5xx` or a `429` is
//!   tried again after a wait that doubles from 250 ms up to the interval, each wait drawn at
//!   random between half and all of it (jitter), until it succeeds or the next push is due,
//!   which starts afresh.
//! - **A refused request is dropped and counted.** A `4xx` (other than `429`) says the request
//!   itself is wrong: it is not retried; it is counted in
//!   `meterstick_push_requests_total{pusher="...", outcome="refused"}` and logged (through the
//!   `log` crate) the first time only.
//! - **Shutdown is bounded.** [`PushHandle::shutdown`] pushes a last time and returns within the
//!   shutdown timeout (5 s by default) whether the receiver answers or not.
//!
//! Every pusher counts its requests in the registry it pushes, as
//! `meterstick_push_requests_total{pusher, outcome}` with `outcome` one of `sent`, `failed`
//! (retried) and `refused` (dropped).

mod otlp;
mod pushgateway;
mod remote_write;
mod task;

use std::sync::Arc;
use std::time::Duration;

use meterstick_core::{Counter, Family, Registry, RegistryError};

pub use otlp::Otlp;
pub use pushgateway::Pushgateway;
pub use remote_write::RemoteWrite;
pub use task::PushHandle;

/// Why a push did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The receiver answered with an error status: a `4xx` is not retried.
    #[error("the receiver answered {status}: {body}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body, to say why.
        body: String,
    },
    /// The receiver could not be reached, or did not answer in time.
    #[error("the receiver could not be reached: {0}")]
    Transport(String),
    /// The URL or a grouping label cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// The pusher has stopped.
    #[error("the pusher has stopped")]
    Stopped,
}

impl PushError {
    /// Whether trying again could succeed: transport failures, `5xx` and `429`.
    pub fn is_retryable(&self) -> bool {
        match self {
            PushError::Status { status, .. } => *status >= 500 || *status == 429,
            PushError::Transport(_) => true,
            PushError::Invalid(_) | PushError::Stopped => false,
        }
    }
}

/// How long a request may take before it counts as failed, unless the pusher says otherwise.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The counts of one pusher: `meterstick_push_requests_total{pusher, outcome}`.
#[derive(Clone)]
pub(crate) struct Counts {
    family: Arc<Family<Counter, (String, String)>>,
    pusher: String,
}

impl Counts {
    fn new(registry: &Registry, pusher: &str) -> Result<Self, RegistryError> {
        let family = registry.own_counter_family(
            "meterstick_push_requests_total",
            "requests made by meterstick's pushers, by pusher and outcome: sent, failed \
             (retried) or refused (dropped)",
            ["pusher", "outcome"],
        )?;
        Ok(Counts {
            family,
            pusher: pusher.to_owned(),
        })
    }

    fn count(&self, outcome: &str) {
        self.family.inc((&self.pusher, outcome));
    }
}

/// Labels or attributes as given, as owned pairs.
fn pairs<I, K, V>(pairs: I) -> Vec<(String, String)>
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

/// `url`, checked to be an `http` or `https` URL.
fn http_url(url: &str) -> Result<reqwest::Url, PushError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| PushError::Invalid(format!("`{url}` is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(PushError::Invalid(format!(
            "`{url}` is not an http or https URL"
        )));
    }
    Ok(parsed)
}

/// An HTTP client for the pushers: at most `timeout` per request.
fn client(timeout: Duration) -> Result<reqwest::Client, PushError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| PushError::Invalid(format!("cannot make an HTTP client: {e}")))
}

/// Sends a request and reads its answer into a [`PushError`] unless it succeeded.
async fn send(request: reqwest::RequestBuilder) -> Result<(), PushError> {
    let response = request
        .send()
        .await
        .map_err(|e| PushError::Transport(e.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    Err(PushError::Status {
        status: status.as_u16(),
        body: body.chars().take(200).collect(),
    })
}
