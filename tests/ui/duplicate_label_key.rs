use meterstick::{Counter, Family, Metrics};

#[derive(Metrics)]
struct S {
    /// requests
    #[metric(labels("service", "service"))]
    a: Family<Counter, (String, String)>,
}

fn main() {}
