//! Shared workload definitions of the comparison benchmarks in `benches/`.

/// The label values of the labeled workloads: `smtp_client:source{i}->`.
pub fn service_values(n: usize) -> Vec<&'static str> {
    (0..n)
        .map(|i| &*Box::leak(format!("smtp_client:source{i}->").into_boxed_str()))
        .collect()
}

/// Counts the sample lines (those not starting with `#`) of a text exposition.
pub fn sample_lines(text: &[u8]) -> usize {
    text.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty() && l[0] != b'#')
        .count()
}

/// The meterstick side of the labeled workloads: one family keyed by `service`.
#[derive(meterstick::Metrics)]
#[metrics(crate = meterstick)]
pub struct Labeled {
    /// messages delivered, per service
    #[metric(label = "service")]
    pub delivered: meterstick::Family<meterstick::Counter>,
}

/// The `measured` label of the export workloads, interned as it comes.
#[derive(Clone, Copy, PartialEq, Debug, measured::LabelGroup)]
#[label(set = MeasuredDynamic)]
pub struct MeasuredDynService<'a> {
    /// the service
    #[label(dynamic_with = lasso::ThreadedRodeo)]
    pub service: &'a str,
}

/// Re-exported for the benches' output checks.
pub use itoa;
/// Re-exported for the benches' output checks.
pub use serde_json as json;
