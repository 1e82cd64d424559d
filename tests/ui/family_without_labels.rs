use meterstick::{Counter, Family, Metrics};

#[derive(Metrics)]
struct S {
    /// requests per something
    requests: Family<Counter>,
}

fn main() {}
