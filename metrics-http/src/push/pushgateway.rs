//! The Pushgateway, for batch jobs.

use std::time::Duration;

use base64::Engine;
use meterstick_core::{PROMETHEUS_CONTENT_TYPE, Registry};

use super::{Counts, PushError};

/// Pushes a registry to a Prometheus Pushgateway, for a batch job that ends before a scrape
/// would come: the gateway keeps what was pushed under the job's grouping key, and Prometheus
/// scrapes the gateway.
///
/// [`push`](Pushgateway::push) replaces every metric of the grouping key (`PUT`),
/// [`push_add`](Pushgateway::push_add) replaces only the metrics pushed (`POST`), and
/// [`delete`](Pushgateway::delete) removes the grouping key. The body is the Prometheus text
/// format, constant labels included. A connection error, a timeout, a `5xx` or a `429` is tried
/// twice more, after 250 ms and 500 ms (each drawn between half and all of that); a `4xx` is
/// returned at once. Requests are counted in `meterstick_push_requests_total{pusher="pushgateway"}`.
///
/// ```no_run
/// # async fn run(registry: &meterstick_core::Registry) -> Result<(), meterstick_http::push::PushError> {
/// use meterstick_http::push::Pushgateway;
///
/// let gateway = Pushgateway::new("http://pushgateway:9091", "nightly_cleanup")
///     .grouping([("instance", "mx1")]);
/// // ... the job's work, counted in `registry` ...
/// gateway.push(registry).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Pushgateway {
    url: String,
    job: String,
    grouping: Vec<(String, String)>,
    /// Made once, on the first request, and kept: its connections are reused.
    client: std::sync::Arc<std::sync::OnceLock<reqwest::Client>>,
}

/// The attempts of one request: the first and two retries.
const ATTEMPTS: u32 = 3;

impl Pushgateway {
    /// The Pushgateway at `url` (its root, such as `http://pushgateway:9091`), for `job`.
    pub fn new(url: impl Into<String>, job: impl Into<String>) -> Self {
        Pushgateway {
            url: url.into(),
            job: job.into(),
            grouping: Vec::new(),
            client: Default::default(),
        }
    }

    /// The grouping labels besides `job`, such as `instance`: with the job, they name the group
    /// that a push replaces and a delete removes.
    pub fn grouping<I, K, V>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.grouping = super::pairs(labels);
        self
    }

    /// Replaces every metric of the group with the registry's (`PUT`).
    pub async fn push(&self, registry: &Registry) -> Result<(), PushError> {
        self.send(reqwest::Method::PUT, Some(registry)).await
    }

    /// Replaces the metrics of the group that the registry has, keeping the others (`POST`).
    pub async fn push_add(&self, registry: &Registry) -> Result<(), PushError> {
        self.send(reqwest::Method::POST, Some(registry)).await
    }

    /// Removes the group and every metric in it (`DELETE`).
    pub async fn delete(&self) -> Result<(), PushError> {
        self.send(reqwest::Method::DELETE, None).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        registry: Option<&Registry>,
    ) -> Result<(), PushError> {
        let url = self.group_url()?;
        let client = match self.client.get() {
            Some(client) => client.clone(),
            None => {
                let client = super::client(super::REQUEST_TIMEOUT)?;
                self.client.get_or_init(|| client).clone()
            }
        };
        let body = registry.map(|r| {
            let mut body = Vec::new();
            r.render_into(meterstick_core::Format::Prometheus, &mut body);
            body
        });
        let counts = registry
            .map(|r| Counts::new(r, "pushgateway"))
            .transpose()
            .map_err(|e| PushError::Invalid(e.to_string()))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = client.request(method.clone(), url.clone());
            if let Some(body) = &body {
                request = request
                    .header("Content-Type", PROMETHEUS_CONTENT_TYPE)
                    .body(body.clone());
            }
            let outcome = super::send(request).await;
            if let Some(counts) = &counts {
                counts.count(match &outcome {
                    Ok(()) => "sent",
                    Err(e) if e.is_retryable() => "failed",
                    Err(_) => "refused",
                });
            }
            match outcome {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    let wait = Duration::from_millis(250 << (attempt - 1));
                    tokio::time::sleep(super::task::jittered(wait)).await;
                }
                outcome => return outcome,
            }
        }
    }

    /// `<url>/metrics/job/<job>{/<label>/<value>}`, a value that is empty or holds a `/` in
    /// URL-safe base64 under `<label>@base64`, as the Pushgateway reads them.
    fn group_url(&self) -> Result<reqwest::Url, PushError> {
        let mut url = reqwest::Url::parse(&self.url)
            .map_err(|e| PushError::Invalid(format!("`{}` is not a URL: {e}", self.url)))?;
        if self.job.is_empty() {
            return Err(PushError::Invalid("the job name is empty".into()));
        }
        Registry::with_labels(self.grouping.iter().cloned())
            .map_err(|e| PushError::Invalid(format!("grouping labels: {e}")))?;
        if let Some((key, _)) = self.grouping.iter().find(|(k, _)| k == "job") {
            return Err(PushError::Invalid(format!(
                "grouping label `{key}`: the job is given apart"
            )));
        }
        let mut segments = url
            .path_segments_mut()
            .map_err(|()| PushError::Invalid(format!("`{}` cannot be a base", self.url)))?;
        segments.pop_if_empty().push("metrics");
        for (key, value) in [("job", self.job.as_str())]
            .into_iter()
            .chain(self.grouping.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        {
            if value.is_empty() || value.contains('/') {
                let encoded = base64::engine::general_purpose::URL_SAFE.encode(value);
                let encoded = if encoded.is_empty() {
                    "=".to_owned()
                } else {
                    encoded
                };
                segments.push(&format!("{key}@base64")).push(&encoded);
            } else {
                segments.push(key).push(value);
            }
        }
        drop(segments);
        Ok(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_is_in_the_path_with_odd_values_in_base64() {
        let gateway = Pushgateway::new("http://gw:9091/", "backup job").grouping([
            ("instance", "mx1/a"),
            ("zone", ""),
            ("rack", "r 1"),
        ]);
        assert_eq!(
            gateway.group_url().unwrap().as_str(),
            "http://gw:9091/metrics/job/backup%20job/instance@base64/bXgxL2E=/zone@base64/=/rack/r%201"
        );
        assert!(Pushgateway::new("http://gw", "").group_url().is_err());
        assert!(
            Pushgateway::new("http://gw", "j")
                .grouping([("job", "x")])
                .group_url()
                .is_err()
        );
        assert!(
            Pushgateway::new("http://gw", "j")
                .grouping([("1bad", "x")])
                .group_url()
                .is_err()
        );
        assert!(Pushgateway::new("not a url", "j").group_url().is_err());
    }
}
