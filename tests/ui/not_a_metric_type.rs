use meterstick::Metrics;

#[derive(Metrics)]
struct S {
    /// a plain number is not a metric
    #[metric(counter)]
    count: u64,
}

fn main() {}
