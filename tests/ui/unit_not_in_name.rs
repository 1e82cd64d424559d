use meterstick::{Counter, Gauge, Histogram, Info, Metrics};

#[derive(Metrics)]
struct S {
    /// time spent, but the name does not say in what
    #[metric(unit = "seconds")]
    busy: Counter<f64>,
    /// a unit is a word
    #[metric(unit = "milli-seconds")]
    wait_milli_seconds: Gauge<f64>,
    /// fine: the unit ends the name
    #[metric(unit = "seconds")]
    latency_seconds: Histogram,
    /// fine: before `_total`
    #[metric(unit = "bytes")]
    read_bytes_total: Counter,
    /// an info metric has no unit
    #[metric(unit = "seconds", label = "version")]
    build_seconds: Info,
}

fn main() {}
