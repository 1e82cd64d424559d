//! Callback metrics: values read from a function at export time.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, PoisonError, RwLock};

use crate::metric::{MetricKind, Sample};
use crate::value::{CounterValue, GaugeValue};

/// Shared, so that an export calls it after letting go of the lock: a function may then set
/// its own metric's function, or read it, without waiting for itself.
type Callback<T> = Arc<dyn Fn() -> T + Send + Sync>;

/// Calls `f`, catching a panic; the panic's payload is dropped under `catch_unwind` too, since
/// a payload whose `drop` panics would otherwise unwind into the export.
fn call_caught<T>(f: &(dyn Fn() -> T + Send + Sync)) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => {
            drop_caught(payload);
            None
        }
    }
}

fn drop_caught(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        // A payload of a panic in a payload's `drop` is kept rather than risk a third.
        std::mem::forget(again);
    }
}

macro_rules! callback_metric {
    ($(#[$doc:meta])* $name:ident, $bound:ident, $default:ty, $kind:ident) => {
        $(#[$doc])*
        ///
        /// The function runs on the exporting thread at every export, so it should be quick. A
        /// function that panics is reported as having no value (`null` in JSON, no sample in the
        /// text formats); the export and the process go on. Without a function the metric has no
        /// value either. No lock is held while it runs, so it may call [`Self::set_fn`] on its
        /// own metric (the next export calls the new one).
        pub struct $name<V: $bound = $default> {
            callback: RwLock<Option<Callback<V>>>,
        }

        impl<V: $bound> $name<V> {
            /// Creates the metric with no function yet; see [`Self::set_fn`].
            pub const fn new() -> Self {
                $name {
                    callback: RwLock::new(None),
                }
            }

            /// Creates the metric reading its value from `f`.
            pub fn with_fn(f: impl Fn() -> V + Send + Sync + 'static) -> Self {
                $name {
                    callback: RwLock::new(Some(Arc::new(f))),
                }
            }

            /// Reads the value from `f` from now on.
            pub fn set_fn(&self, f: impl Fn() -> V + Send + Sync + 'static) {
                let f: Callback<V> = Arc::new(f);
                let old = self
                    .callback
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .replace(f);
                // The old function (and what it captured) is dropped after the lock is let go.
                drop(old);
            }

            /// Calls the function: `None` without one, or if it panicked.
            pub fn get(&self) -> Option<V> {
                let f = self
                    .callback
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()?;
                call_caught(&*f)
            }

            /// The kind written in the output formats.
            pub const KIND: MetricKind = MetricKind::$kind;

            pub(crate) fn sample(&self) -> Option<Sample<'static>> {
                self.get().map($bound::sample)
            }
        }

        impl<V: $bound> Default for $name<V> {
            fn default() -> Self {
                $name::new()
            }
        }

        impl<V: $bound> fmt::Debug for $name<V> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("value", &self.get()).finish()
            }
        }
    };
}

callback_metric!(
    /// A gauge whose value a function gives at export time, such as the memory in use:
    /// `GaugeFn` (of `i64`) or `GaugeFn<f64>`.
    ///
    /// ```
    /// use meterstick_core::GaugeFn;
    ///
    /// let pool = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(3));
    /// let spare = GaugeFn::new();
    /// let p = pool.clone();
    /// spare.set_fn(move || p.load(std::sync::atomic::Ordering::Relaxed));
    /// assert_eq!(spare.get(), Some(3));
    /// ```
    GaugeFn,
    GaugeValue,
    i64,
    Gauge
);

callback_metric!(
    /// A counter whose total a function gives at export time, such as bytes read by a library
    /// that keeps its own count, or the CPU seconds of the process: `CounterFn` (of `u64`) or
    /// `CounterFn<f64>`. The function must never return less than it did before.
    CounterFn,
    CounterValue,
    u64,
    Counter
);
