use meterstick::{Gauge, Metrics};

fn bytes() -> i64 {
    1
}

#[derive(Metrics)]
struct S {
    /// a plain gauge has no function
    #[metric(callback = bytes)]
    memory: Gauge,
}

fn main() {}
