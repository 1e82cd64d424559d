use meterstick::{Gauge, Metrics};

#[derive(Metrics)]
struct S {
    /// a gauge cannot prune
    #[metric(prune, max_series = 10)]
    level: Gauge,
}

fn main() {}
