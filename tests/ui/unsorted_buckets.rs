use meterstick::{Histogram, Metrics};

#[derive(Metrics)]
struct S {
    /// latency
    #[metric(buckets = [0.1, 1.0, 0.5, 0.5])]
    latency: Histogram,
}

fn main() {}
