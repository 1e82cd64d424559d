use meterstick::{Counter, Gauge, Metrics};

#[derive(Metrics)]
struct S {
    /// requests
    requests: Counter,
    /// also requests
    #[metric(name = "requests")]
    other: Gauge,
}

fn main() {}
