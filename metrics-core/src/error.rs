//! The errors of registration and configuration.

/// Why a metric, a group or a registry could not be made. The messages are those of
/// `#[derive(Metrics)]` for the same mistake, so that a metric registered at run time is held to
/// the derive's rules in the same words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two metrics would be exported under the same name.
    #[error(
        "a metric named `{name}` is already registered; give one of the two another \
         `#[metric(name = \"...\")]` or its struct a `#[metrics(prefix = \"...\")]`"
    )]
    DuplicateName {
        /// The name that is taken twice (a counter's with `_total` when that is where the two
        /// meet).
        name: String,
    },
    /// The name is not a valid metric name.
    #[error(
        "`{name}` is not a valid metric name: use ASCII letters, digits, `_` and `:`, not \
         starting with a digit"
    )]
    InvalidName {
        /// The name given.
        name: String,
    },
    /// A `?prefix=` (or [`Scrape::prefix`](crate::Scrape::prefix)) that would make names invalid.
    #[error(
        "`{prefix}` is not a valid metric name prefix: use ASCII letters, digits, `_` and `:`, \
         not starting with a digit"
    )]
    InvalidPrefix {
        /// The prefix given.
        prefix: String,
    },
    /// The help text is empty.
    #[error("metric `{name}`: the help text is empty; say what the metric measures")]
    MissingHelp {
        /// The metric's name.
        name: String,
    },
    /// A label key is invalid, reserved, or given twice.
    #[error("{}: {}", owner(.name), .problem.message(.key))]
    InvalidLabelKey {
        /// The metric's name (empty for a registry's constant labels).
        name: String,
        /// The key at fault.
        key: String,
        /// What is wrong with it, in the derive's words.
        problem: LabelKeyProblem,
    },
    /// A family was given another number of label keys than its label type has values.
    #[error(
        "metric `{name}`: {given} label key{} given, but the family's label type `{label_type}` \
         has {arity} value{}",
        if *given == 1 { " is" } else { "s are" },
        if *arity == 1 { "" } else { "s" }
    )]
    LabelArity {
        /// The metric's name.
        name: String,
        /// How many keys were given.
        given: usize,
        /// How many values the label type has.
        arity: usize,
        /// The label type, as the derive quotes it (`(String, String)`).
        label_type: String,
    },
    /// The name does not end in the declared unit, or the kind takes no unit.
    #[error(
        "metric name `{name}` must end in `_{unit}` (before `_total` for a counter), the unit it \
         declares; rename it or leave the unit out"
    )]
    InvalidUnit {
        /// The metric's name.
        name: String,
        /// The unit declared.
        unit: String,
    },
    /// A metric declares a label key that the registry adds to every series as a constant
    /// label.
    #[error(
        "metric `{name}` declares the label key `{key}`, which the registry adds to every series \
         as a constant label; rename the key, or leave it out of `Registry::with_labels`"
    )]
    ConstantLabel {
        /// The metric's name.
        name: String,
        /// The key both have.
        key: String,
    },
    /// The name belongs to meterstick's own metrics, which every registry may export.
    #[error(
        "the metric name `{name}` is reserved: names starting with `meterstick_` belong to \
         meterstick's own metrics (such as `meterstick_series_overflow_total`); give it another \
         `#[metric(name = \"...\")]` or its struct a `#[metrics(prefix = \"...\")]`"
    )]
    ReservedName {
        /// The name asked for.
        name: String,
    },
}

/// Whose label key it is: a metric's, or the registry's constant labels (no name).
fn owner(name: &str) -> String {
    if name.is_empty() {
        "the registry's constant labels".to_owned()
    } else {
        format!("metric `{name}`")
    }
}

/// What is wrong with a label key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabelKeyProblem {
    /// Not of ASCII letters, digits and `_`, or starting with a digit.
    Invalid,
    /// Starts with `__`.
    Reserved,
    /// Is `le`, the bucket bound of a histogram's lines.
    Le,
    /// Given twice.
    Twice,
    /// `metric`, the key of meterstick's own `meterstick_series_overflow_total`, as a constant
    /// label.
    Overflow,
}

impl LabelKeyProblem {
    /// The derive's message for this problem with `key`.
    pub(crate) fn message(self, key: &str) -> String {
        match self {
            LabelKeyProblem::Invalid => format!(
                "`{key}` is not a valid label key: use ASCII letters, digits and `_`, not \
                 starting with a digit"
            ),
            LabelKeyProblem::Reserved => {
                format!("label key `{key}` starts with `__`, which Prometheus reserves for itself")
            }
            LabelKeyProblem::Le => {
                "label key `le` is reserved for histogram bucket bounds; choose another key".into()
            }
            LabelKeyProblem::Twice => format!("label key `{key}` is listed twice"),
            LabelKeyProblem::Overflow => format!(
                "constant label key `{key}` is the key of meterstick's own \
                 `meterstick_series_overflow_total`; choose another key"
            ),
        }
    }
}

impl std::fmt::Display for LabelKeyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LabelKeyProblem::Invalid => "not a valid label key",
            LabelKeyProblem::Reserved => "reserved label key",
            LabelKeyProblem::Le => "the label key `le`",
            LabelKeyProblem::Twice => "label key listed twice",
            LabelKeyProblem::Overflow => "the label key of meterstick's own metric",
        })
    }
}

/// Why a list of histogram bucket bounds was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BucketsError {
    /// No bounds were given.
    #[error("a histogram needs at least one bucket bound")]
    Empty,
    /// A bound is NaN or infinite.
    #[error(
        "bucket bound {0} is not finite; the `+Inf` bucket is implied, list only finite bounds"
    )]
    NotFinite(f64),
    /// A bound is not above the one before it.
    #[error("bucket bounds must be strictly increasing, but {0} is followed by {1}")]
    NotIncreasing(f64, f64),
}

/// Why an exemplar was refused. The update it came with is counted all the same; only the
/// exemplar is not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExemplarError {
    /// The label names and values together are longer than OpenMetrics allows.
    #[error(
        "the exemplar's label names and values take {chars} characters together; OpenMetrics \
         allows at most {max}, so the exemplar is not kept"
    )]
    TooLong {
        /// How many characters (Unicode code points) the names and values take.
        chars: usize,
        /// The most allowed, 128.
        max: usize,
    },
    /// A label name is not of ASCII letters, digits and `_`, or starts with a digit.
    #[error(
        "`{name}` is not a valid exemplar label name: use ASCII letters, digits and `_`, not \
         starting with a digit"
    )]
    InvalidName {
        /// The name given.
        name: String,
    },
    /// A label name is given twice.
    #[error("exemplar label name `{name}` is given twice")]
    Twice {
        /// The name given twice.
        name: String,
    },
}

/// Why the options of a native histogram were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NativeOptionsError {
    /// The schema is outside `-4..=8`.
    #[error("native histogram schema {0} is outside -4..=8")]
    Schema(i8),
    /// `max_buckets` is zero.
    #[error("a native histogram needs `max_buckets` of at least 1")]
    MaxBuckets,
    /// The zero threshold is negative, NaN or infinite.
    #[error("native histogram zero threshold {0} is not a finite number of at least zero")]
    ZeroThreshold(f64),
}
