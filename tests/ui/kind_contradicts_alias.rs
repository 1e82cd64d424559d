use meterstick::{Gauge, Metrics};

type Level = Gauge;

#[derive(Metrics)]
struct S {
    /// a gauge, behind an alias, called a counter
    #[metric(counter)]
    level: Level,
}

fn main() {}
