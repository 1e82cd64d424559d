use meterstick::{Counter, Family, Gauge, Metrics};

#[derive(Metrics)]
struct S {
    /// a gauge called a counter
    #[metric(counter)]
    level: Gauge,
    /// a family of counters called gauges
    #[metric(gauge, label = "service")]
    requests: Family<Counter>,
}

fn main() {}
