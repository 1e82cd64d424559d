use meterstick::{Counter, Metrics};

#[derive(Metrics)]
struct T(Counter);

fn main() {}
