use meterstick::{Counter, Family, Histogram, Metrics, NativeHistogram};

#[derive(Metrics)]
struct AppMetrics {
    /// A schema out of range.
    #[metric(schema = 9)]
    too_fine: NativeHistogram,
    /// No room for any bucket.
    #[metric(max_buckets = 0)]
    no_room: NativeHistogram,
    /// A negative zero bucket.
    #[metric(zero_threshold = -1.0)]
    negative_zero: NativeHistogram,
    /// Bounds on a native histogram.
    #[metric(buckets = [0.1, 1.0])]
    bounded: NativeHistogram,
    /// Both kinds of histogram at once.
    #[metric(schema = 2, buckets = [0.1, 1.0])]
    both: Histogram,
    /// A schema on a counter.
    #[metric(schema = 2)]
    counted: Counter,
    /// A family of native histograms with its options.
    #[metric(label = "route", schema = -2, max_buckets = 40, zero_threshold = 0.001)]
    fine: Family<NativeHistogram>,
}

fn main() {}
