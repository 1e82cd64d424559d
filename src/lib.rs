//! meterstick: metrics declared as a plain struct.
pub use meterstick_core::*;
pub use meterstick_derive::Metrics;
