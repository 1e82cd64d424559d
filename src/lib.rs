//! # meterstick
//!
//! Metrics declared as a plain struct. `#[derive(Metrics)]` reads the annotated fields (help
//! text, counter / gauge / histogram, label keys) and generates, at compile time, the code that
//! registers and exports them; the values live in atomics; the registry writes them as
//! KumoMTA-style `/metrics.json`, Prometheus text (0.0.4) and OpenMetrics (1.0).
//!
//! ## Declaring metrics
//!
//! ```
//! use meterstick::{Counter, Family, Gauge, Histogram, Metrics, Registry};
//!
//! /// Metrics of the SMTP service.
//! #[derive(Metrics)]
//! #[metrics(prefix = "kumo")] // names become `kumo_<name>`
//! pub struct ServerMetrics {
//!     /// number of active connections
//!     #[metric(gauge, label = "service")]
//!     pub connection_count: Family<Gauge>,
//!
//!     /// total number of messages ever delivered
//!     #[metric(counter, label = "service")]
//!     pub total_messages_delivered: Family<Counter>,
//!
//!     #[metric(gauge, help = "soft memory limit measured in bytes")]
//!     pub memory_limit: Gauge,
//!
//!     /// number of messages in the ready queue, per service and queue
//!     #[metric(gauge, labels("service", "queue"))]
//!     pub ready_count: Family<Gauge, (String, String)>,
//!
//!     /// how long a delivery attempt takes, in seconds
//!     #[metric(histogram, buckets = [0.01, 0.1, 1.0, 10.0])]
//!     pub delivery_seconds: Histogram,
//!
//!     #[metric(flatten)] // a nested `#[derive(Metrics)]` struct
//!     pub lua: LuaMetrics,
//! }
//!
//! /// Metrics of the Lua engine; its own names, without the outer prefix.
//! #[derive(Metrics)]
//! pub struct LuaMetrics {
//!     /// the number of lua contexts currently alive
//!     pub lua_count: Gauge,
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Registry::new(); // or Registry::global()
//! let metrics = registry.register(ServerMetrics::new())?; // Err on a duplicate name
//!
//! let esmtp = metrics.connection_count.with("esmtp_listener"); // an owned handle to keep
//! esmtp.inc();
//! metrics.total_messages_delivered.inc("smtp_client"); // looked up on each call
//! metrics.ready_count.set(("smtp_client", "example.com"), 46);
//! metrics.memory_limit.set(101234377728);
//! metrics.delivery_seconds.observe(0.25);
//! metrics.lua.lua_count.set(1);
//!
//! let json = registry.to_json();
//! assert!(json.starts_with(r#"{"kumo_connection_count":{"help":"number of active connections","type":"gauge","value":{"service":{"esmtp_listener":1.0}}}"#));
//! assert_eq!(json, serde_json::to_string(&*metrics)?); // a group alone, through `Serialize`
//! # Ok(())
//! # }
//! ```
//!
//! ## The field attribute `#[metric(...)]`
//!
//! | key | meaning |
//! |---|---|
//! | `counter`, `gauge`, `histogram`, `info` | the kind; optional when the field type says it, and must agree with it |
//! | `help = "..."` | the help text; without it, the first paragraph of the doc comment, joined into one line |
//! | `name = "..."` | the exported name (before the prefix); without it, the field name |
//! | `label = "k"`, `labels("k1", "k2", ...)` | the label keys of a `Family`, as many as its label type has values |
//! | `unit = "..."` | the unit (`seconds`, `bytes`), written as `# UNIT` in OpenMetrics; the name must end in `_<unit>` (before `_total` for a counter) |
//! | `exact_name` | a counter keeps its name in every format, without `_total` (see [one series name](#one-series-name-in-every-format)) |
//! | `buckets = [...]` | a histogram's upper bounds: number literals, finite, strictly increasing; without it, [`DEFAULT_BUCKETS`] |
//! | `schema = S`, `max_buckets = N`, `zero_threshold = T` | a [`NativeHistogram`]'s start: schema in `-4..=8` (default 3), the most buckets kept (default 160), the width of the zero bucket (default `2^-128`) |
//! | `prune` | a `Family` whose series live while a [`Series`] handle does ([`Family::pruning`]) |
//! | `max_series = N` | a `Family` of at most `N` series, the last an overflow series ([`Family::max_series`]) |
//! | `callback = path` | a [`GaugeFn`] or [`CounterFn`] read from the function `path` at export time |
//! | `flatten` | the field is a nested `#[derive(Metrics)]` struct, exported with its own names |
//! | `skip` | the field is not a metric; it is built with `Default` |
//!
//! The container attribute `#[metrics(...)]` takes `prefix = "..."` (names become
//! `<prefix>_<name>`; nested groups keep their own), `exact_names` (`exact_name` on every
//! counter of the struct) and `crate = path` (where the runtime is, when `::meterstick` is not
//! the path to it).
//!
//! Every mistake is a compile error spanned on the offending field or key, and all errors of a
//! struct are reported in one compile: missing help, an invalid metric name
//! (`[a-zA-Z_:][a-zA-Z0-9_:]*`) or label key (`[a-zA-Z_][a-zA-Z0-9_]*`, not `__`-prefixed, not
//! `le`), a name used twice, label keys that do not match the family's label type, `buckets` on a
//! non-histogram or bounds that are not finite and increasing, a kind that contradicts the type,
//! a name that does not end in its unit, `exact_name` on anything but a counter, unknown keys,
//! and enums, unions or tuple structs.
//!
//! After an error the derive still writes every impl, as stubs, so that nothing else in the
//! program adds errors of its own; registering something that is not a group of metrics (a lone
//! `Family`, say) is an error that says what to register instead.
//!
//! The derive generates `Default` and `new()` (zeroed metrics, empty families, the declared
//! buckets), [`MetricGroup`] (the visitor the encoders walk, with static [`Descriptor`]s), and
//! `serde::Serialize` giving the `/metrics.json` document of the group alone.
//! [`Registry::register`] refuses a name already registered, and names starting with
//! `meterstick_`, kept for the registry's own metrics.
//!
//! ## Metric types
//!
//! - [`Counter`]: `inc()`, `inc_by(u64)`, `get()`. Monotonic; wraps at `u64::MAX`.
//!   `Counter<f64>` counts seconds or bytes that are not whole: `inc_by(f64)` ignores a negative
//!   or NaN amount, so it never goes down.
//! - [`ShardedCounter`]: the same, for a counter many threads bump at once: one slot per
//!   thread on its own cache line, summed when read.
//! - [`Gauge`]: `set(i64)`, `inc()`, `dec()`, `add(i64)`, `sub(i64)`, `get()`. `Gauge<f64>`
//!   holds a load average or a ratio: `set` and `get` are one atomic instruction, `add` and `sub`
//!   a compare-and-swap.
//! - [`Histogram`]: `observe(f64)`; cumulative bucket counts, sum and count.
//!   [`Histogram::start_timer`] gives a [`HistogramTimer`] that records the seconds elapsed when
//!   dropped (`stop()` records and returns them, `discard()` records nothing);
//!   [`Histogram::time`] times a closure. Both work through a [`Series`] handle.
//! - [`NativeHistogram`]: `observe(f64)` into sparse exponential buckets, `snapshot()`; see
//!   [native histograms](#native-histograms-exemplars-and-protobuf).
//! - [`Info<L>`](Info): facts such as the version as the labels of one series of value 1:
//!   `set(labels)`.
//! - [`GaugeFn`] and [`CounterFn`] (of `i64`/`u64`, or `f64`): read from a function at export
//!   time.
//! - [`Family<M, L = String>`](Family): one `M` per set of label values. `L` is `String` for one
//!   key and a tuple of `String`s for several (up to [`MAX_LABELS`]); lookups take `&str` or a
//!   tuple of `&str` and allocate only on the first insert. `with(labels)` returns an owned
//!   [`Series`] handle that derefs to `M`; `inc(labels)`, `set(labels, v)`, `observe(labels, v)`
//!   and the rest of `M`'s operations take the labels first; `get`, `remove`, `clear`, `len`.
//!   No method hands out a lock guard.
//!
//! ## `/metrics.json`
//!
//! One object, one member per metric, sorted by name:
//! `"<name>": {"help": "...", "type": "counter" | "gauge" | "histogram", "value": V}` where `V` is
//! the number for a metric without labels, `{"key": {"<label value>": n, ...}}` for one key (values
//! sorted), `[{"k1": "v1", "k2": "v2", "@": n}, ...]` for several (keys in declared order, entries
//! sorted by their values), and `null` for a family with no series. A histogram's value is
//! `{"avg": sum/count, "bucket": [[le, cumulative count], ...], "count": n, "sum": s}` without the
//! `+Inf` bucket, `avg` being `null` while there are no observations. An [`Info`] metric's value
//! is the object of its labels, `{"version": "1.2.0", "commit": "8a4f"}` (type `"info"`), or
//! `null` before it is set. Numbers are written as `serde_json` writes an `f64` (`0.0`, `46.0`,
//! `0.30000000000000004`, `1e+21`: the shortest form that reads back the same), counts as
//! integers, NaN and infinities as `null`; strings are escaped per RFC 8259. Units and the
//! registry's constant labels are not part of the document. [`Registry::to_json`] is compact,
//! [`Registry::to_json_pretty`] indents by two spaces, [`Registry::write_json`] streams into any
//! `io::Write`.
//!
//! ## Prometheus text and OpenMetrics
//!
//! [`Registry::to_prometheus`] and [`Registry::write_prometheus`] write the text format 0.0.4
//! ([`PROMETHEUS_CONTENT_TYPE`]); [`Registry::to_openmetrics`] and
//! [`Registry::write_openmetrics`] write OpenMetrics 1.0 ([`OPENMETRICS_CONTENT_TYPE`]);
//! [`Registry::render_into`] appends any format to a buffer the caller keeps. The text formats list
//! families by name and series by label values, with `# HELP` and `# TYPE` lines formatted once,
//! at registration; histograms have cumulative `_bucket{le="..."}` samples up to
//! `le="+Inf"`, then `_sum` and `_count`; floats are the shortest that read back the same, and
//! non-finite values are `NaN`, `+Inf`, `-Inf`. OpenMetrics names a counter family without
//! `_total` and its samples with it, an info family without `_info` and its sample with it,
//! writes `# UNIT` where a unit was declared, and ends with `# EOF`. The Prometheus text, which
//! has no info type, writes an info metric as a gauge of value 1.
//!
//! Help escapes `\` and newline (and `"` in OpenMetrics); label values escape `\`, `"` and
//! newline, and any other Unicode passes through; white space at either end of a help text
//! cannot be carried, so the derive trims it. OpenMetrics forbids a negative or NaN `_sum`, and a
//! `_sum` beside buckets below zero: such a histogram series is written there with its buckets
//! only (the `+Inf` bucket is the count). Prometheus stores an empty label value as an absent
//! label.
//!
//! ### One series name in every format
//!
//! A Prometheus server stores what it reads, so both text formats give each metric the same
//! sample name, [`Descriptor::sample_name`]: a counter declared as `delivered` is
//! `delivered_total` in the Prometheus text as in OpenMetrics, and an info metric `build` is
//! `build_info`. JSON keeps the declared name. To keep a counter's exact name in the text formats
//! too (KumoMTA's `total_messages_delivered`), declare it `#[metric(exact_name)]`, or
//! `#[metrics(exact_names)]` on the struct: OpenMetrics, which requires `_total` on a counter's
//! samples, then types it `unknown` under that name, so the server still stores one name
//! (`promtool` lints such a counter, and `rate()` works on it as on any counter).
//!
//! ```
//! # use meterstick::{Counter, Metrics, Registry};
//! #[derive(Metrics)]
//! struct Mta {
//!     /// messages delivered
//!     delivered_total: Counter,
//! }
//! let registry = Registry::new();
//! registry.register(Mta::new()).unwrap().delivered_total.inc_by(46);
//! assert_eq!(
//!     registry.to_prometheus(),
//!     "# HELP delivered_total messages delivered\n# TYPE delivered_total counter\ndelivered_total 46\n"
//! );
//! assert_eq!(
//!     registry.to_openmetrics(),
//!     "# HELP delivered messages delivered\n# TYPE delivered counter\ndelivered_total 46\n# EOF\n"
//! );
//! ```
//!
//! ## Native histograms, exemplars and protobuf
//!
//! A classic [`Histogram`] counts into bounds chosen in advance: a quantile is only as good as
//! the bounds around it. A [`NativeHistogram`] needs none. At schema `s` its buckets grow by a
//! factor of `2^(2^-s)` (at the default 3, eight buckets per doubling, each about 9% wider than
//! the last), on both sides of zero, with a zero bucket for magnitudes up to `zero_threshold`;
//! only buckets with observations take room, so any quantile of any range of values is known to
//! within that factor. Choose it for latencies and sizes whose range is not known in advance, or
//! spans several orders of magnitude; keep a classic histogram where the bounds are a contract
//! (an SLO threshold of 300 ms), or for a reader that cannot take protobuf.
//!
//! Past `max_buckets` buckets it halves its resolution (schema one lower, merging pairs of
//! buckets) as many times as needed, down to -4, as Prometheus's own clients do; at -4 it widens
//! the zero bucket instead. Observation takes no lock: one atomic operation picks where to count
//! and one counts, and a lowering of the resolution moves the counts while observations go on;
//! no observation is lost and every export sees buckets that add up to its count. Zero, values
//! within the zero threshold and NaN count in the zero bucket (NaN makes the sum NaN); the
//! infinities count in the bucket past the largest finite value on their side.
//!
//! ```
//! use meterstick::{Family, Metrics, NativeHistogram, Registry};
//!
//! #[derive(Metrics)]
//! struct Api {
//!     /// time to answer a request, in seconds
//!     #[metric(unit = "seconds")]
//!     answer_seconds: NativeHistogram,
//!
//!     /// time to resolve a name, in seconds, per resolver
//!     #[metric(label = "resolver", unit = "seconds", schema = 5, max_buckets = 80)]
//!     resolve_seconds: Family<NativeHistogram>,
//! }
//!
//! let registry = Registry::new();
//! let api = registry.register(Api::new())?;
//! api.answer_seconds.observe(0.042);
//! api.resolve_seconds.observe("unbound", 0.0031);
//! let snapshot = api.answer_seconds.snapshot();
//! assert_eq!((snapshot.count(), snapshot.schema()), (1, 3));
//! # Ok::<(), meterstick::RegistryError>(())
//! ```
//!
//! Prometheus stores native histograms from the protobuf format only. Turn them on with
//! `--enable-feature=native-histograms` (Prometheus 2.40 to 2.x); it then asks for
//! `application/vnd.google.protobuf` first, and the endpoint answers in it. Query them with
//! `histogram_quantile(0.99, rate(answer_seconds[5m]))`, `histogram_count(...)` and
//! `histogram_sum(...)`. The text formats and JSON, which have no native histograms, write one as
//! a classic histogram whose buckets are its buckets with observations (cumulative, by upper
//! bound, from the most negative through the zero bucket); JSON adds `schema`, `zero_count` and
//! `zero_threshold` to the classic value.
//!
//! An *exemplar* is the latest labelled example of a counter's increments, or of the
//! observations in one bucket of a histogram, kept with its value and the time:
//!
//! ```
//! # use meterstick::{Counter, Histogram};
//! let requests: Counter = Counter::new();
//! let latency = Histogram::default();
//! let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
//! requests.inc_with_exemplar(&[("trace_id", trace_id)]).unwrap();
//! latency.observe_with_exemplar(0.42, &[("trace_id", trace_id)]).unwrap();
//! ```
//!
//! `Family` has the same methods, labels first (`inc_with_exemplar(labels, exemplar)`), and a
//! [`Series`] handle has the metric's own. OpenMetrics writes the exemplar after the value
//! (`requests_total 1 # {trace_id="4bf9..."} 1.0 1733500000.123456789`), the protobuf format in
//! its `exemplar` fields; Prometheus keeps them with `--enable-feature=exemplar-storage` and
//! answers `/api/v1/query_exemplars`. That is how they reach a tracing system: record the id of
//! the current trace (from `tracing-opentelemetry`, or the `traceparent` header of the request)
//! as `trace_id`, and point Grafana's exemplar link at Tempo or Jaeger by that label; a spike on
//! a latency panel then opens the trace that caused it. The label names and values together may
//! take 128 characters (OpenMetrics's limit): a longer exemplar is refused with
//! [`ExemplarError`], never written, and the update itself is counted all the same. A counter
//! typed `unknown` in OpenMetrics (one with an [exact name](#one-series-name-in-every-format))
//! shows none there.
//!
//! Exemplars are kept beside the metrics, in one table for the process, by the address of the
//! metric: a metric that never gets one has no room for one, its updates never look at the
//! table, and an export looks only once the table holds one. A metric removes its exemplars
//! when it is dropped, and a family's new series starts without any, whatever was at its
//! address; a metric moved after getting one (before it is registered, say) leaves it behind.
//!
//! The protobuf format ([`Format::Protobuf`], [`Registry::to_protobuf`],
//! [`Registry::write_protobuf`], [`PROTOBUF_CONTENT_TYPE`]) is Prometheus's `metrics.proto`:
//! `io.prometheus.client.MetricFamily` messages, each after its length. Every metric type goes
//! into it: counters under their sample name, info metrics as gauges of value 1, classic
//! histograms with every bucket up to `+Inf`, integer values as doubles (exact up to `2^53`).
//! A family without series is left out. Each family's message is gathered whole before it is
//! written, since its length comes first.
//!
//! ## Lifecycle and cardinality
//!
//! - `#[metric(prune)]` ([`Family::pruning`]): a series lives while a [`Series`] handle to it
//!   does, and leaves every format at the next export after the last one is dropped.
//! - `#[metric(max_series = N)]` ([`Family::max_series`], [`Registry::set_default_max_series`]):
//!   at most `N` series, the last being an overflow series labelled [`OVERFLOW_LABEL_VALUE`];
//!   `meterstick_series_overflow_total{metric="..."}` counts the lookups sent there.
//! - [`GaugeFn`] and [`CounterFn`], with `#[metric(callback = path)]` or `set_fn`: values read
//!   from a function at export time.
//! - `#[derive(LabelValue)]` on a field-less enum: `Family<M, MyEnum>`, one slot per variant.
//! - [`Global`]: a group in a `static`, registered in [`Registry::global`] on first use.
//! - [`Registry::describe`] and [`Registry::describe_markdown`]: the metrics' metadata.
//!
//! ## Constant labels, runtime registration, process metrics
//!
//! - [`Registry::with_labels`]`([("instance", "mx1")])`: labels written first on every series of
//!   both text formats. Keys follow the rules of label keys; a metric declaring the same key is
//!   refused at registration, with an error naming both. `/metrics.json` leaves them out: the
//!   document has no place for them, and whoever reads it knows which process it asked.
//! - [`Registry::counter`], [`Registry::counter_f64`], [`Registry::gauge`],
//!   [`Registry::gauge_f64`], [`Registry::gauge_fn`], [`Registry::counter_fn`],
//!   [`Registry::histogram`], [`Registry::family`] and [`Registry::family_with`] register a
//!   metric whose name is known only at run time (a plugin's), each returning an `Arc` of it;
//!   the derive's rules are checked with the derive's messages, and [`Registry::unregister`]
//!   removes it and frees its name. A runtime family is the same type as a derived one, with the
//!   same lookups.
//! - `process::ProcessMetrics` (default feature `process`): the standard `process_*` metrics
//!   (CPU seconds, resident and virtual memory, open and maximum file descriptors, start time,
//!   threads), read at each export from `/proc` on Linux; on other systems they are described
//!   without a value.
//! - [`Scrape`]: [`Registry::write_format`] with a prefix prepended to every name (KumoMTA's
//!   `GET /metrics?prefix=`) and a filter on names.
//!
//! ```
//! use meterstick::{Counter, Gauge, Histogram, Info, Metrics, Registry};
//! use std::time::Duration;
//!
//! #[derive(Metrics)]
//! struct Service {
//!     /// the version of the build
//!     #[metric(label = "version")]
//!     build: Info,
//!     /// the load average
//!     load: Gauge<f64>,
//!     /// time spent handling requests, in seconds
//!     #[metric(unit = "seconds")]
//!     busy_seconds_total: Counter<f64>,
//!     /// time per request, in seconds
//!     #[metric(unit = "seconds")]
//!     request_seconds: Histogram,
//! }
//!
//! # fn main() -> Result<(), meterstick::RegistryError> {
//! let registry = Registry::with_labels([("instance", "mx1")])?;
//! let m = registry.register(Service::new())?;
//! m.build.set("1.2.0");
//! m.load.set(0.42);
//! m.request_seconds.time(|| std::thread::sleep(Duration::from_millis(1)));
//! let timer = m.request_seconds.start_timer(); // records when dropped, or at `stop()`
//! assert!(timer.stop() >= 0.0);
//! m.busy_seconds_total.inc_by(0.001);
//! let plugin = registry.counter("spam_filter_calls", "calls of the spam filter plugin")?;
//! plugin.inc();
//!
//! let text = registry.to_prometheus();
//! assert!(text.contains("\nbuild_info{instance=\"mx1\",version=\"1.2.0\"} 1\n"));
//! assert!(text.contains("\nload{instance=\"mx1\"} 0.42\n"));
//! assert!(text.contains("\nspam_filter_calls_total{instance=\"mx1\"} 1\n"));
//! assert!(registry.to_openmetrics().contains("# UNIT busy_seconds seconds\n"));
//! assert!(registry.unregister("spam_filter_calls"));
//! # Ok(())
//! # }
//! ```
//!
//! Label values that are all `__overflow__` name a limited family's overflow series itself: a
//! lookup of them is counted as one sent there. A callback runs with no lock held, so it may
//! replace its own function; one that panics leaves its metric without a value, and the export
//! goes on.
//!
//! ## Push
//!
//! With the `push` feature, `meterstick::push` sends the registry to where it cannot be scraped
//! from: `RemoteWrite` (Prometheus remote write 1.0, every interval), `Pushgateway` (`push`,
//! `push_add`, `delete`, for batch jobs) and `Otlp` (OTLP/HTTP protobuf, cumulative, to an
//! OpenTelemetry collector). The bodies come from the registry like every format
//! ([`Registry::write_remote_write`], [`Registry::write_otlp`], the Prometheus text for the
//! Pushgateway). A receiver that is down or slow never blocks an update nor makes memory grow:
//! one request at most is in flight, each attempt sends what the registry holds then, failures
//! are retried with backoff and jitter, a refused request (`4xx`) is dropped and counted in
//! `meterstick_push_requests_total`, and `PushHandle::shutdown` pushes a last time within its
//! timeout.
//!
//! ## The HTTP endpoint
//!
//! With the default `http` feature, [`http`] (the `meterstick-http` crate) serves
//! `GET /metrics` (Prometheus text, or OpenMetrics when the scraper's `Accept` prefers it) and
//! `GET /metrics.json` to the peers of a [`http::TrustedHosts`] list, answering every other peer
//! `403`; `?prefix=P` prepends `P` to every name, as KumoMTA's endpoint does, and `?filter=F`
//! keeps the metrics whose name starts with `F`; [`http::serve`] runs a server, [`http::router`] mounts the routes in an axum
//! application, and [`http::Limits`] bounds what slow, stalled or hostile clients can hold.
//! Without the feature, nothing async is built.
//!
//! ```
//! use meterstick::{Counter, Family, Gauge, LabelValue, Metrics, Registry};
//!
//! #[derive(Clone, Copy, LabelValue)]
//! enum Outcome {
//!     Delivered,
//!     #[label(rename = "transient failure")]
//!     TransientFailure,
//! }
//!
//! #[derive(Metrics)]
//! struct Mta {
//!     /// messages in each queue, while the queue exists
//!     #[metric(label = "queue", prune)]
//!     queue_depth: Family<Gauge>,
//!     /// attempts by outcome
//!     #[metric(label = "outcome")]
//!     attempts: Family<Counter, Outcome>,
//! }
//!
//! let registry = Registry::new();
//! let m = registry.register(Mta::new()).unwrap();
//! m.attempts.inc(Outcome::TransientFailure);
//! let depth = m.queue_depth.with("gmail.com");
//! depth.set(46);
//! assert!(registry.to_json().contains(r#""gmail.com":46.0"#));
//! drop(depth);
//! assert!(!registry.to_json().contains("gmail.com"));
//! assert!(registry.to_prometheus().contains("attempts_total{outcome=\"transient failure\"} 1\n"));
//! ```

#![forbid(unsafe_code)]

pub use meterstick_core::*;
pub use meterstick_derive::{LabelValue, Metrics};

/// The HTTP endpoint: `GET /metrics` and `GET /metrics.json` behind trusted-IP authentication
/// (the `meterstick-http` crate, behind the default `http` feature).
#[cfg(feature = "http")]
pub use meterstick_http as http;

/// Pushing the registry instead of being scraped: Prometheus remote write and the Pushgateway
/// (feature `push`, off by default). See [`push::RemoteWrite`] and [`push::Pushgateway`].
#[cfg(feature = "push")]
pub use meterstick_http::push;
