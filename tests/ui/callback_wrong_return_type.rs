use meterstick::{GaugeFn, Metrics};

fn ratio() -> f64 {
    0.5
}

#[derive(Metrics)]
struct S {
    /// a gauge function returns an i64
    #[metric(callback = ratio)]
    memory: GaugeFn,
}

fn main() {}
