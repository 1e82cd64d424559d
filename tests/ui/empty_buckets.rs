use meterstick::{Histogram, Metrics};

#[derive(Metrics)]
struct S {
    /// latency
    #[metric(buckets = [])]
    latency: Histogram,
}

fn main() {}
