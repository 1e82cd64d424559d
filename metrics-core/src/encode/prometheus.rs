//! The Prometheus text exposition format, version 0.0.4: the lines of [`super::text`] under
//! the names as declared, with every histogram's `_sum` and `_count`.

use super::text::Flavor;
use crate::descriptor::Descriptor;

/// The `Content-Type` of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The Prometheus text format, as a [`Flavor`] of the text lines.
pub(crate) struct Prometheus;

impl Flavor for Prometheus {
    const COUNTER_SUFFIX: &'static str = "";
    const END: &'static [u8] = b"";

    fn head(descriptor: &Descriptor) -> (&str, &str) {
        (descriptor.prometheus_head(), descriptor.name())
    }

    fn keeps_sum(_: f64, _: &[f64]) -> bool {
        true
    }
}
