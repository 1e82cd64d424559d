use meterstick::{Counter, Family, Metrics};

#[derive(Metrics)]
struct S {
    /// a family that could hold nothing
    #[metric(label = "k", max_series = 0)]
    requests: Family<Counter>,
}

fn main() {}
