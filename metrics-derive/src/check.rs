//! The rules that a struct of metrics must follow, one function each.

use std::collections::HashMap;

use syn::spanned::Spanned as _;

use crate::ast::{Field, Input, Role};
use crate::attr::{Ctxt, Kind};

/// Checks every rule, recording every violation in `cx`.
pub fn check(cx: &Ctxt, input: &Input<'_>) {
    check_prefix(cx, input);
    for field in &input.fields {
        check_role(cx, field);
        check_exclusive_keys(cx, field);
        let Some(Role::Metric(kind)) = field.role() else {
            continue;
        };
        check_kind_matches_type(cx, field);
        check_help(cx, field);
        check_name(cx, field);
        check_label_keys(cx, field);
        check_label_arity(cx, field);
        check_buckets(cx, field, kind);
        check_native(cx, field, kind);
        check_family_keys(cx, field);
        check_callback(cx, field);
        check_unit(cx, field, kind, input.prefix().as_deref());
        check_exact_name(cx, field, kind);
    }
    check_duplicate_names(cx, input);
}

/// The prefix must itself be a valid start of a metric name.
fn check_prefix(cx: &Ctxt, input: &Input<'_>) {
    if let Some(prefix) = &input.attrs.prefix {
        if !is_metric_name(&prefix.value()) {
            cx.error(
                prefix.span(),
                format!(
                    "`{}` is not a valid metric name prefix: use ASCII letters, digits, `_` and \
                     `:`, not starting with a digit",
                    prefix.value()
                ),
            );
        }
    }
}

/// Every field must say, through its attribute or its type, what it is.
fn check_role(cx: &Ctxt, field: &Field<'_>) {
    if field.role().is_none() {
        cx.error(
            field.ty.span(),
            format!(
                "cannot tell the metric kind of field `{}` from its type; add `#[metric(counter)]`, \
                 `#[metric(gauge)]`, `#[metric(histogram)]` or `#[metric(info)]`, \
                 `#[metric(flatten)]` for a nested metrics struct, or `#[metric(skip)]`",
                field.ident
            ),
        );
    }
}

/// `flatten` and `skip` take no other key.
fn check_exclusive_keys(cx: &Ctxt, field: &Field<'_>) {
    let keys = &field.attrs.keys;
    for alone in ["flatten", "skip"] {
        if keys.iter().any(|k| k.value == alone) {
            for other in keys.iter().filter(|k| k.value != alone) {
                cx.error(
                    other.span,
                    format!("`{}` cannot be combined with `{alone}`", other.value),
                );
            }
            return;
        }
    }
}

/// A kind given in the attribute must agree with the field type.
fn check_kind_matches_type(cx: &Ctxt, field: &Field<'_>) {
    if let (Some(given), Some(typed)) = (&field.attrs.kind, field.shape.kind) {
        if given.value != typed {
            cx.error(
                given.span,
                format!(
                    "`{}` contradicts the field type, which holds a {}; write `{}` or change the \
                     type",
                    given.value.as_str(),
                    typed.as_str(),
                    typed.as_str()
                ),
            );
        }
    }
}

/// Every metric needs help text, from `help = "..."` or the doc comment.
fn check_help(cx: &Ctxt, field: &Field<'_>) {
    match field.help() {
        None => cx.error(
            field.ident.span(),
            format!(
                "metric `{}` has no help text; add a `///` doc comment or `#[metric(help = \
                 \"...\")]`",
                field.ident
            ),
        ),
        Some(help) if help.is_empty() => cx.error(
            field
                .attrs
                .help
                .as_ref()
                .map_or(field.ident.span(), |h| h.span()),
            "the help text is empty; say what the metric measures",
        ),
        Some(_) => {}
    }
}

/// The name must match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn check_name(cx: &Ctxt, field: &Field<'_>) {
    let (name, span) = field.base_name();
    // The prefix, if any, is checked on its own by `check_prefix`.
    if !is_metric_name(&name) {
        cx.error(
            span,
            format!(
                "`{name}` is not a valid metric name: use ASCII letters, digits, `_` and `:`, \
                 not starting with a digit"
            ),
        );
    }
}

/// Label keys must match `[a-zA-Z_][a-zA-Z0-9_]*`, not start with `__`, not be `le`, and be
/// distinct.
fn check_label_keys(cx: &Ctxt, field: &Field<'_>) {
    let Some(labels) = &field.attrs.labels else {
        return;
    };
    let mut seen = Vec::new();
    for key in &labels.value {
        let k = key.value();
        if !is_label_key(&k) {
            cx.error(
                key.span(),
                format!(
                    "`{k}` is not a valid label key: use ASCII letters, digits and `_`, not \
                     starting with a digit"
                ),
            );
        } else if k.starts_with("__") {
            cx.error(
                key.span(),
                format!("label key `{k}` starts with `__`, which Prometheus reserves for itself"),
            );
        } else if k == "le" {
            cx.error(
                key.span(),
                "label key `le` is reserved for histogram bucket bounds; choose another key",
            );
        } else if seen.contains(&k) {
            cx.error(key.span(), format!("label key `{k}` is listed twice"));
        }
        seen.push(k);
    }
}

/// A `Family` needs as many label keys as its label type has values; other metrics take none.
fn check_label_arity(cx: &Ctxt, field: &Field<'_>) {
    let labels = field.attrs.labels.as_ref();
    match (field.shape.family, labels) {
        (Some(true), None) => cx.error(
            field.ty.span(),
            format!(
                "family `{}` needs its label keys: add `label = \"...\"` or `labels(\"...\", \
                 ...)` to its `#[metric(...)]`",
                field.ident
            ),
        ),
        (Some(false), Some(labels)) => cx.error(
            labels.span,
            "only a `Family` has label keys; make the field a `Family<...>` or remove the keys",
        ),
        (Some(true), Some(labels)) => {
            if let (Some(arity), Some(label_type)) = (field.shape.arity, &field.shape.label_type) {
                let given = labels.value.len();
                if given != arity {
                    cx.error(
                        labels.span,
                        format!(
                            "{given} label key{} given, but the family's label type `{label_type}` \
                             has {arity} value{}",
                            if given == 1 { " is" } else { "s are" },
                            if arity == 1 { "" } else { "s" },
                        ),
                    );
                }
            }
        }
        _ => {}
    }
}

/// `buckets` only on histograms, non-empty, finite and strictly increasing.
fn check_buckets(cx: &Ctxt, field: &Field<'_>, kind: Kind) {
    let Some(buckets) = &field.attrs.buckets else {
        return;
    };
    if kind != Kind::Histogram {
        cx.error(
            buckets.span,
            "`buckets` is only allowed on histogram fields",
        );
        return;
    }
    if buckets.value.is_empty() {
        cx.error(
            buckets.span,
            "`buckets` needs at least one bound; leave it out for the default buckets",
        );
    }
    for bound in buckets.value.iter().filter(|b| !b.value.is_finite()) {
        cx.error(
            bound.span,
            format!(
                "bucket bound `{}` is not a finite number; the `+Inf` bucket is always there, \
                 list only finite bounds",
                bound.text
            ),
        );
    }
    for pair in buckets.value.windows(2) {
        if pair[0].value.is_finite() && pair[1].value.is_finite() && pair[0].value >= pair[1].value
        {
            cx.error(
                pair[1].span,
                format!(
                    "bucket bounds must be strictly increasing, but `{}` follows `{}`",
                    pair[1].text, pair[0].text
                ),
            );
        }
    }
}

/// `schema`, `max_buckets` and `zero_threshold` only on histograms, without `buckets`, and
/// each within its range.
fn check_native(cx: &Ctxt, field: &Field<'_>, kind: Kind) {
    let a = &field.attrs;
    let given = [
        a.schema.as_ref().map(|b| ("schema", b.span)),
        a.max_buckets.as_ref().map(|m| ("max_buckets", m.span())),
        a.zero_threshold
            .as_ref()
            .map(|b| ("zero_threshold", b.span)),
    ];
    for (key, span) in given.iter().flatten() {
        if kind != Kind::Histogram {
            cx.error(
                *span,
                format!("`{key}` is only allowed on native histogram fields"),
            );
            return;
        }
        if let Some(buckets) = &a.buckets {
            cx.error(
                buckets.span,
                format!(
                    "`buckets` and `{key}` do not go together: a native histogram has no bucket \
                     bounds to choose, a classic one no schema"
                ),
            );
            return;
        }
    }
    if field.shape.native {
        if let Some(buckets) = &a.buckets {
            cx.error(
                buckets.span,
                "a native histogram has no bucket bounds to choose; leave `buckets` out, or \
                 set `schema`, `max_buckets` or `zero_threshold`",
            );
        }
    }
    if let Some(schema) = &a.schema {
        if schema.value.fract() != 0.0 || !(-4.0..=8.0).contains(&schema.value) {
            cx.error(
                schema.span,
                format!(
                    "native histogram schema `{}` is not a whole number in -4..=8",
                    schema.text
                ),
            );
        }
    }
    if let Some(max) = &a.max_buckets {
        if !matches!(max.base10_parse::<u32>(), Ok(1..)) {
            cx.error(
                max.span(),
                "`max_buckets` must be a whole number from 1 to 4294967295",
            );
        }
    }
    if let Some(zero) = &a.zero_threshold {
        if !(zero.value.is_finite() && zero.value >= 0.0) {
            cx.error(
                zero.span,
                format!(
                    "native histogram zero threshold `{}` is not a finite number of at least zero",
                    zero.text
                ),
            );
        }
    }
}

/// `prune` and `max_series` only on families; `max_series` at least 1.
fn check_family_keys(cx: &Ctxt, field: &Field<'_>) {
    if field.shape.family == Some(false) {
        for key in field
            .attrs
            .keys
            .iter()
            .filter(|k| matches!(k.value, "prune" | "max_series"))
        {
            cx.error(
                key.span,
                format!("`{}` is only allowed on `Family` fields", key.value),
            );
        }
    }
    if let Some(max) = &field.attrs.max_series {
        match max.base10_parse::<usize>() {
            Ok(0) | Err(_) => cx.error(
                max.span(),
                "`max_series` must be a whole number of at least 1; leave it out for no limit",
            ),
            Ok(_) => {}
        }
    }
}

/// `callback` only on `GaugeFn` and `CounterFn` fields.
fn check_callback(cx: &Ctxt, field: &Field<'_>) {
    if field.shape.callback == Some(false) {
        if let Some(key) = field.attrs.keys.iter().find(|k| k.value == "callback") {
            cx.error(
                key.span,
                "`callback` is only allowed on `GaugeFn` and `CounterFn` fields",
            );
        }
    }
}

/// No two metrics of the struct may be exported under the same name.
fn check_duplicate_names(cx: &Ctxt, input: &Input<'_>) {
    let prefix = input.prefix();
    let mut seen: HashMap<String, &syn::Ident> = HashMap::new();
    for (field, _) in input.metrics() {
        let name = field.final_name(prefix.as_deref());
        if let Some(first) = seen.get(&name) {
            let (_, span) = field.base_name();
            cx.error(
                span,
                format!(
                    "metric name `{name}` is already used by field `{first}`; give one of them \
                     another `#[metric(name = \"...\")]`"
                ),
            );
        } else {
            seen.insert(name, field.ident);
        }
    }
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_key(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A unit is a word the name ends in (before `_total` for a counter); an info metric has none.
fn check_unit(cx: &Ctxt, field: &Field<'_>, kind: Kind, prefix: Option<&str>) {
    let Some(unit) = &field.attrs.unit else {
        return;
    };
    let (name, unit_text) = (field.final_name(prefix), unit.value());
    if kind == Kind::Info {
        cx.error(unit.span(), "an info metric has no unit; leave `unit` out");
        return;
    }
    if !is_label_key(&unit_text) {
        cx.error(
            unit.span(),
            format!(
                "`{unit_text}` is not a valid unit: use ASCII letters, digits and `_`, such as \
                 `seconds` or `bytes`"
            ),
        );
        return;
    }
    let base = match kind {
        Kind::Counter => name.strip_suffix("_total").unwrap_or(&name),
        _ => &name,
    };
    let ends = base
        .strip_suffix(unit_text.as_str())
        .is_some_and(|rest| rest.ends_with('_'));
    if !ends {
        cx.error(
            unit.span(),
            format!(
                "metric name `{name}` must end in `_{unit_text}` (before `_total` for a \
                 counter), the unit it declares; rename it or leave the unit out"
            ),
        );
    }
}

/// `exact_name` keeps a counter's name: it means nothing on another kind.
fn check_exact_name(cx: &Ctxt, field: &Field<'_>, kind: Kind) {
    if let (Some(span), false) = (field.attrs.exact_name, kind == Kind::Counter) {
        cx.error(
            span,
            "`exact_name` is only allowed on counters, whose names otherwise gain `_total`",
        );
    }
}
