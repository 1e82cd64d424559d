use meterstick::{Histogram, Metrics};

#[derive(Metrics)]
struct S {
    /// latency
    #[metric(buckets = [0.1, 1e999])]
    latency: Histogram,
}

fn main() {}
