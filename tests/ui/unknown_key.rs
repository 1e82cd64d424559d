use meterstick::{Counter, Metrics};

#[derive(Metrics)]
#[metrics(namespace = "app")]
struct S {
    /// requests
    #[metric(counter, units = "seconds")]
    requests: Counter,
}

fn main() {}
