use meterstick::{Counter, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "my-app")]
struct S {
    /// requests
    requests: Counter,
}

fn main() {}
