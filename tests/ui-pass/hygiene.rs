// The generated code names everything by absolute path: shadowing these names changes nothing.
#![allow(dead_code, non_camel_case_types)]

mod core {}
mod std {}
mod meterstick {}
mod serde {}
type Result = ();
struct Ok;
struct Default;
struct Some;
struct None;

#[derive(::meterstick::Metrics)]
#[metrics(prefix = "hygiene")]
struct Shadowed {
    /// a counter
    requests: ::meterstick::Counter,
    /// a family
    #[metric(labels("a", "b"))]
    pairs: ::meterstick::Family<::meterstick::Gauge, (String, String)>,
    /// a histogram
    #[metric(buckets = [1.0, 2.0])]
    latency: ::meterstick::Histogram,
}

mod reexport {
    pub use ::meterstick as runtime;
}

#[derive(::meterstick::Metrics)]
#[metrics(crate = reexport::runtime)]
struct Renamed {
    /// a counter reached through another path
    requests: reexport::runtime::Counter,
}

#[derive(Clone, Copy, ::meterstick::LabelValue)]
enum Lane {
    Fast,
    #[label(rename = "slow lane")]
    Slow,
}

fn bytes() -> i64 {
    7
}

#[derive(::meterstick::Metrics)]
struct Lifecycle {
    /// a pruning, limited family with enum labels elsewhere
    #[metric(label = "queue", prune, max_series = 10)]
    queues: ::meterstick::Family<::meterstick::Gauge>,
    /// per lane
    #[metric(label = "lane")]
    lanes: ::meterstick::Family<::meterstick::Counter, Lane>,
    /// from a function
    #[metric(callback = bytes)]
    memory: ::meterstick::GaugeFn,
}

fn main() {
    let registry = ::meterstick::Registry::new();
    let l = registry.register(Lifecycle::new()).unwrap();
    l.lanes.inc(Lane::Slow);
    let _held = l.queues.with("q");
    assert!(registry.to_json().contains("\"slow lane\":1.0"));
    assert!(registry.to_json().contains("\"memory\":{\"help\":\"from a function\",\"type\":\"gauge\",\"value\":7.0}"));
    let _ = Lane::Fast;

    let m = registry.register(Shadowed::new()).unwrap();
    m.requests.inc();
    registry.register(Renamed::new()).unwrap();
    assert!(registry.to_json().contains("\"hygiene_requests\""));
}
