use meterstick::{Counter, Metrics};

#[derive(Metrics)]
struct S {
    undocumented: Counter,
}

fn main() {}
