use meterstick::{Counter, Metrics};

#[derive(Metrics)]
struct S {
    #[metric(help = "  ")]
    blank: Counter,
}

fn main() {}
