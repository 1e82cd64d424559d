use meterstick::{Counter, Family, Gauge, Metrics};

#[derive(Metrics)]
struct S {
    no_help: Counter,
    /// bad name
    #[metric(name = "bad name")]
    a: Gauge,
    /// bad key
    #[metric(label = "le")]
    b: Family<Counter>,
    /// buckets on a counter
    #[metric(buckets = [1.0])]
    c: Counter,
}

fn main() {
    // Code using the struct is not drowned in follow-on errors.
    let _ = S::new();
}
