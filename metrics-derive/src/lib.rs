//! `#[derive(Metrics)]`: turns a struct of annotated metric fields into registration and export
//! code. See the `meterstick` crate for the attributes and the generated API.

mod ast;
mod attr;
mod check;
mod expand;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `MetricGroup`, `Default`, `new()` and `serde::Serialize` for a struct of metrics.
#[proc_macro_derive(Metrics, attributes(metric, metrics))]
pub fn derive_metrics(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
