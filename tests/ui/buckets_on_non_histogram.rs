use meterstick::{Gauge, Metrics};

#[derive(Metrics)]
struct S {
    /// a gauge
    #[metric(buckets = [1.0, 2.0])]
    level: Gauge,
}

fn main() {}
