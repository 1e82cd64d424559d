use meterstick::{Counter, Metrics};

#[derive(Metrics)]
struct S {
    #[metric(help = "one", help = "two")]
    requests: Counter,
}

fn main() {}
