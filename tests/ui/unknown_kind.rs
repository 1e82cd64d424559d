use meterstick::{Gauge, Metrics};

type Level = Gauge;

#[derive(Metrics)]
struct S {
    /// the derive cannot see through the alias
    level: Level,
}

fn main() {}
