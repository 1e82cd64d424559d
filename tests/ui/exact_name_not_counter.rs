use meterstick::{Gauge, Metrics};

#[derive(Metrics)]
struct S {
    /// only a counter gains `_total`
    #[metric(exact_name)]
    open: Gauge,
}

fn main() {}
