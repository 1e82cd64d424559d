//! The task of a periodic pusher: push every interval, retry with backoff until the next push is
//! due, answer flushes, push a last time on shutdown.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use meterstick_core::Registry;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use super::{Counts, PushError};

/// What a periodic pusher sends: the body made from the registry as it is, and the request
/// that carries it.
pub(crate) trait Target: Send + Sync + 'static {
    /// The pusher's name, in its counts and its log line.
    fn name(&self) -> &'static str;
    /// The body of a request: the registry as it is now. Run on a blocking thread.
    fn body(&self, registry: &Registry) -> Vec<u8>;
    /// The request that sends `body`.
    fn request(&self, client: &reqwest::Client, body: Vec<u8>) -> reqwest::RequestBuilder;
}

/// How a periodic pusher runs: how often it pushes, and how long a request and the last push
/// may take.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub(crate) interval: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) shutdown_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            interval: Duration::from_secs(15),
            request_timeout: super::REQUEST_TIMEOUT,
            shutdown_timeout: Duration::from_secs(5),
        }
    }
}

/// The setters of a periodic pusher's [`Timing`], on its builder (a struct with a `timing`
/// field): the same words on every pusher.
macro_rules! timing_setters {
    () => {
        /// How often to push (15 s by default; at least 10 ms).
        pub fn interval(mut self, interval: Duration) -> Self {
            self.timing.interval = interval.max(Duration::from_millis(10));
            self
        }

        /// How long one request may take before it counts as failed and is retried (10 s by
        /// default).
        pub fn request_timeout(mut self, timeout: Duration) -> Self {
            self.timing.request_timeout = timeout;
            self
        }

        /// How long [`PushHandle::shutdown`] may take for its last push (5 s by default).
        pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
            self.timing.shutdown_timeout = timeout;
            self
        }
    };
}
pub(crate) use timing_setters;

/// Starts a periodic pusher of `registry` to `url` (checked to be `http` or `https`), on the
/// current tokio runtime, sending what `target` makes of it.
pub(crate) fn start_periodic(
    url: &str,
    name: &str,
    registry: Arc<Registry>,
    timing: Timing,
    target: impl FnOnce(reqwest::Url) -> Arc<dyn Target>,
) -> Result<PushHandle, PushError> {
    let url = super::http_url(url)?;
    let counts = Counts::new(&registry, name).map_err(|e| PushError::Invalid(e.to_string()))?;
    let client = super::client(timing.request_timeout)?;
    Ok(start(target(url), registry, timing, client, counts))
}

/// The first wait before a retry; each further one doubles, up to the interval.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

enum Command {
    Flush(oneshot::Sender<Result<(), PushError>>),
    Shutdown(oneshot::Sender<Result<(), PushError>>),
}

/// The handle of a running pusher: [`PushHandle::flush`] pushes now, [`PushHandle::shutdown`]
/// pushes a last time and stops. Dropping the handle stops the pusher without a last push.
#[derive(Debug)]
pub struct PushHandle {
    commands: mpsc::Sender<Command>,
    task: JoinHandle<()>,
    shutdown_timeout: Duration,
}

impl PushHandle {
    /// Pushes the registry now, retrying as a periodic push does, and returns how it went.
    pub async fn flush(&self) -> Result<(), PushError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Flush(reply))
            .await
            .map_err(|_| PushError::Stopped)?;
        answer.await.unwrap_or(Err(PushError::Stopped))
    }

    /// Pushes a last time and stops the pusher. Returns within the shutdown timeout (5 s by
    /// default), whether the receiver answers or not.
    pub async fn shutdown(self) -> Result<(), PushError> {
        let (reply, answer) = oneshot::channel();
        let bound = self.shutdown_timeout + Duration::from_millis(500);
        let outcome = timeout(bound, async {
            self.commands
                .send(Command::Shutdown(reply))
                .await
                .map_err(|_| PushError::Stopped)?;
            answer.await.unwrap_or(Err(PushError::Stopped))
        })
        .await
        .unwrap_or_else(|_| {
            Err(PushError::Transport(
                "no answer within the shutdown timeout".into(),
            ))
        });
        self.task.abort();
        outcome
    }
}

/// Starts the task of a pusher on the current tokio runtime.
fn start(
    target: Arc<dyn Target>,
    registry: Arc<Registry>,
    schedule: Timing,
    client: reqwest::Client,
    counts: Counts,
) -> PushHandle {
    let (commands, receiver) = mpsc::channel(8);
    let shutdown_timeout = schedule.shutdown_timeout;
    let job = Job {
        target,
        registry,
        schedule,
        client,
        counts,
        logged: AtomicBool::new(false),
    };
    let task = tokio::spawn(job.run(receiver));
    PushHandle {
        commands,
        task,
        shutdown_timeout,
    }
}

struct Job {
    target: Arc<dyn Target>,
    registry: Arc<Registry>,
    schedule: Timing,
    client: reqwest::Client,
    counts: Counts,
    /// Whether a refused request was logged: only the first is.
    logged: AtomicBool,
}

impl Job {
    async fn run(self, mut commands: mpsc::Receiver<Command>) {
        let interval = self.schedule.interval;
        let mut next = Instant::now() + interval;
        let mut flushes = Vec::new();
        loop {
            tokio::select! {
                _ = sleep_until(next) => {}
                command = commands.recv() => match command {
                    Some(Command::Flush(reply)) => flushes.push(reply),
                    Some(Command::Shutdown(reply)) => return self.last_push(reply).await,
                    None => return,
                },
            }
            next = Instant::now() + interval;
            let mut attempt = 0u32;
            let outcome = loop {
                // A shutdown does not wait for a request in flight: it is dropped, cancelled.
                let step = {
                    let push = self.push_once();
                    tokio::pin!(push);
                    loop {
                        tokio::select! {
                            outcome = &mut push => break Ok(outcome),
                            command = commands.recv() => match command {
                                Some(Command::Flush(reply)) => flushes.push(reply),
                                Some(Command::Shutdown(reply)) => break Err(Some(reply)),
                                None => break Err(None),
                            },
                        }
                    }
                };
                let outcome = match step {
                    Ok(outcome) => outcome,
                    Err(Some(reply)) => return self.stop(flushes, reply).await,
                    Err(None) => return,
                };
                if !outcome.as_ref().is_err_and(PushError::is_retryable) {
                    break outcome;
                }
                attempt += 1;
                let wait = backoff(attempt, interval);
                if Instant::now() + wait >= next {
                    break outcome;
                }
                tokio::select! {
                    _ = sleep(wait) => {}
                    command = commands.recv() => match command {
                        // Asked to push now: the next attempt is now.
                        Some(Command::Flush(reply)) => flushes.push(reply),
                        Some(Command::Shutdown(reply)) => return self.stop(flushes, reply).await,
                        None => return,
                    },
                }
            };
            for flush in flushes.drain(..) {
                let _ = flush.send(outcome.clone());
            }
        }
    }

    /// Stops on a shutdown in the middle of a push: the flushes waiting get a failure, then the
    /// last push is made.
    async fn stop(
        self,
        flushes: Vec<oneshot::Sender<Result<(), PushError>>>,
        reply: oneshot::Sender<Result<(), PushError>>,
    ) {
        for flush in flushes {
            let _ = flush.send(Err(PushError::Stopped));
        }
        self.last_push(reply).await
    }

    /// One push, bounded by the shutdown timeout, answered to `reply`.
    async fn last_push(self, reply: oneshot::Sender<Result<(), PushError>>) {
        let outcome = timeout(self.schedule.shutdown_timeout, self.push_once())
            .await
            .unwrap_or_else(|_| {
                Err(PushError::Transport(
                    "no answer within the shutdown timeout".into(),
                ))
            });
        let _ = reply.send(outcome);
    }

    /// One request of the registry as it is now, counted.
    async fn push_once(&self) -> Result<(), PushError> {
        let (target, registry) = (Arc::clone(&self.target), Arc::clone(&self.registry));
        let body = tokio::task::spawn_blocking(move || target.body(&registry))
            .await
            .map_err(|_| PushError::Stopped)?;
        let outcome = super::send(self.target.request(&self.client, body)).await;
        match &outcome {
            Ok(()) => self.counts.count("sent"),
            Err(e) if e.is_retryable() => self.counts.count("failed"),
            Err(e) => {
                self.counts.count("refused");
                if !self.logged.swap(true, Ordering::Relaxed) {
                    log::warn!(
                        "meterstick {}: a push was refused and dropped ({e}); further refusals \
                         are counted in meterstick_push_requests_total, not logged",
                        self.target.name()
                    );
                }
            }
        }
        outcome
    }
}

/// The wait before retry `attempt` (from 1): `FIRST_BACKOFF` doubled each time, at most
/// `ceiling`, then drawn at random between half of it and all of it.
fn backoff(attempt: u32, ceiling: Duration) -> Duration {
    let full = FIRST_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(20))
        .min(ceiling);
    jittered(full)
}

/// A wait drawn at random between half of `full` and all of it, so that pushers that failed
/// together do not all try again at once.
pub(crate) fn jittered(full: Duration) -> Duration {
    // A number at random, from the standard library's randomly keyed hasher.
    let random = RandomState::new().hash_one(std::time::Instant::now());
    let fraction = 0.5 + (random >> 11) as f64 / (1u64 << 53) as f64 / 2.0;
    full.mul_f64(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_ceiling_with_jitter() {
        let ceiling = Duration::from_secs(15);
        for attempt in 1..30 {
            let full = FIRST_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(ceiling);
            let waits: Vec<Duration> = (0..50).map(|_| backoff(attempt, ceiling)).collect();
            assert!(
                waits.iter().all(|w| *w >= full / 2 && *w <= full),
                "{attempt}"
            );
            // Drawn at random: not all the same.
            assert!(waits.iter().any(|w| *w != waits[0]), "{attempt}: {waits:?}");
        }
        assert!(backoff(1, ceiling) <= FIRST_BACKOFF);
        assert!(backoff(40, ceiling) <= ceiling);
    }
}
