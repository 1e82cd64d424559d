use meterstick::{Counter, Metrics};

#[derive(Metrics)]
struct Inner {
    /// requests
    requests: Counter,
}

#[derive(Metrics)]
struct S {
    #[metric(flatten, help = "nested", name = "inner")]
    inner: Inner,
}

fn main() {}
