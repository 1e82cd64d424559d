//! The Prometheus text exposition format, version 0.0.4: the lines of [`super::text`], each
//! metric headed by `# HELP` and `# TYPE` under its sample name (an info metric typed
//! `gauge`), with every histogram's `_sum` and `_count`.

use super::Out;
use super::text::{Flavor, comment};
use crate::descriptor::Descriptor;

/// The `Content-Type` of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The Prometheus text format, as a [`Flavor`] of the text lines.
pub(crate) struct Prometheus;

impl Flavor for Prometheus {
    const EXEMPLARS: bool = false;
    const END: &'static [u8] = b"";

    fn head(w: &mut Out<'_>, descriptor: &Descriptor, prefix: &str) {
        let heads = descriptor.heads();
        let name = &heads.sample_name;
        comment(w, "HELP", prefix, name, &heads.prometheus_help);
        comment(w, "TYPE", prefix, name, heads.prometheus_type);
    }

    fn keeps_sum(_: f64, _: &[f64]) -> bool {
        true
    }
}
