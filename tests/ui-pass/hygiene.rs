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

fn main() {
    let registry = ::meterstick::Registry::new();
    let m = registry.register(Shadowed::new()).unwrap();
    m.requests.inc();
    registry.register(Renamed::new()).unwrap();
    assert!(registry.to_json().contains("\"hygiene_requests\""));
}
