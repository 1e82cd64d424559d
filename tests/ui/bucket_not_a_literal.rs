use meterstick::{Histogram, Metrics};

#[derive(Metrics)]
struct S {
    /// latency
    #[metric(buckets = [0.1, f64::MAX])]
    latency: Histogram,
}

fn main() {}
