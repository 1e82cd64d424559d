use meterstick::{Counter, Metrics};

#[derive(Metrics)]
struct S {
    /// requests
    #[metric(label = "service")]
    requests: Counter,
}

fn main() {}
