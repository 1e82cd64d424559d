//! The errors of registration and configuration.

/// Why a group could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two metrics would be exported under the same name.
    #[error(
        "a metric named `{name}` is already registered; give one of the two another \
         `#[metric(name = \"...\")]` or its struct a `#[metrics(prefix = \"...\")]`"
    )]
    DuplicateName {
        /// The name that is taken twice.
        name: &'static str,
    },
    /// A hand-written descriptor's name is not a valid metric name.
    #[error(
        "`{name}` is not a valid metric name: use letters, digits, `_` and `:`, not starting \
         with a digit"
    )]
    InvalidName {
        /// The name given.
        name: &'static str,
    },
    /// A hand-written descriptor's label key is invalid or given twice.
    #[error(
        "metric `{name}`: `{key}` is not a valid label key, or is given twice: use letters, \
         digits and `_`, not starting with a digit or `__`, and not `le`"
    )]
    InvalidLabelKey {
        /// The metric's name.
        name: &'static str,
        /// The key at fault.
        key: &'static str,
    },
    /// The name belongs to meterstick's own metrics, which every registry may export.
    #[error(
        "the metric name `{name}` is reserved: names starting with `meterstick_` belong to \
         meterstick's own metrics (such as `meterstick_series_overflow_total`); give it another \
         `#[metric(name = \"...\")]` or its struct a `#[metrics(prefix = \"...\")]`"
    )]
    ReservedName {
        /// The name asked for.
        name: &'static str,
    },
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
