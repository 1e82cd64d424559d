//! The rules of `#[derive(Metrics)]` for names, label keys, help and units, checked at run time
//! for what the derive did not see: hand-written descriptors, metrics registered by name, and
//! the registry's constant labels.

use crate::error::{LabelKeyProblem, RegistryError};
use crate::label::is_word;
use crate::metric::MetricKind;

/// Whether `s` is a metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn is_metric_name(s: &str) -> bool {
    is_word(s, true)
}

/// Whether `s` may start a metric name: a name, or nothing.
pub(crate) fn is_name_prefix(s: &str) -> bool {
    s.is_empty() || is_metric_name(s)
}

/// Checks a metric's name.
pub(crate) fn check_name(name: &str) -> Result<(), RegistryError> {
    if is_metric_name(name) {
        Ok(())
    } else {
        Err(RegistryError::InvalidName { name: name.into() })
    }
}

/// Checks a metric's help text.
pub(crate) fn check_help(name: &str, help: &str) -> Result<(), RegistryError> {
    if help.trim().is_empty() {
        Err(RegistryError::MissingHelp { name: name.into() })
    } else {
        Ok(())
    }
}

/// Checks label keys: `[a-zA-Z_][a-zA-Z0-9_]*`, not `__`-prefixed, not `le`, each once. `name`
/// is the metric's (empty for constant labels).
pub(crate) fn check_label_keys<'k>(
    name: &str,
    keys: impl IntoIterator<Item = &'k str>,
) -> Result<(), RegistryError> {
    let mut seen: Vec<&str> = Vec::new();
    for key in keys {
        let problem = if !is_word(key, false) {
            Some(LabelKeyProblem::Invalid)
        } else if key.starts_with("__") {
            Some(LabelKeyProblem::Reserved)
        } else if key == "le" {
            Some(LabelKeyProblem::Le)
        } else if seen.contains(&key) {
            Some(LabelKeyProblem::Twice)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(RegistryError::InvalidLabelKey {
                name: name.into(),
                key: key.into(),
                problem,
            });
        }
        seen.push(key);
    }
    Ok(())
}

/// Checks that a metric with a unit ends in `_<unit>` (before `_total` for a counter), that the
/// unit is a word, and that the kind has units (an info metric has none).
pub(crate) fn check_unit(name: &str, kind: MetricKind, unit: &str) -> Result<(), RegistryError> {
    let base = match kind {
        MetricKind::Counter => name.strip_suffix("_total").unwrap_or(name),
        _ => name,
    };
    let ends = base
        .strip_suffix(unit)
        .is_some_and(|rest| rest.ends_with('_'));
    if is_word(unit, false) && ends && kind != MetricKind::Info {
        Ok(())
    } else {
        Err(RegistryError::InvalidUnit {
            name: name.into(),
            unit: unit.into(),
        })
    }
}
