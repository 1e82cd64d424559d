use meterstick::{Counter, Family, Histogram, Metrics};

#[derive(Metrics)]
struct S {
    /// requests
    #[metric(label = "__name__")]
    a: Family<Counter>,
    /// latency
    #[metric(label = "le")]
    b: Family<Histogram>,
}

fn main() {}
