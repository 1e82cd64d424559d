use meterstick::{Counter, Family, Metrics};

#[derive(Metrics)]
struct S {
    /// requests
    #[metric(label = "bad-key")]
    a: Family<Counter>,
    /// requests again
    #[metric(label = "1st")]
    b: Family<Counter>,
}

fn main() {}
