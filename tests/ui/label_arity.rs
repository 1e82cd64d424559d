use meterstick::{Counter, Family, Metrics};

#[derive(Metrics)]
struct S {
    /// one key for two values
    #[metric(label = "service")]
    a: Family<Counter, (String, String)>,
    /// two keys for one value
    #[metric(labels("service", "queue"))]
    b: Family<Counter>,
}

fn main() {}
