//! `#[derive(Metrics)]`: turns a struct of annotated metric fields into registration and export
//! code. See the `meterstick` crate for the attributes and the generated API.

#![forbid(unsafe_code)]

mod ast;
mod attr;
mod check;
mod expand;
mod label_value;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `MetricGroup`, `Default`, `new()` and `serde::Serialize` for a struct of metrics.
#[proc_macro_derive(Metrics, attributes(metric, metrics))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}

/// Derives `LabelSet` for a field-less enum, so that it can label a family:
/// `Family<Counter, MyEnum>`, with one slot per variant and no hashing.
///
/// The enum must also derive `Clone` and `Copy`. Each variant's label value is its name in
/// snake case, or `#[label(rename = "...")]`.
#[proc_macro_derive(LabelValue, attributes(label))]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    label_value::derive(&input).into()
}
