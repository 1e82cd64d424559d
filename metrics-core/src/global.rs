//! Metric groups in `static`s, registered in the global registry on first use.

use std::any::type_name;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use crate::error::RegistryError;
use crate::group::MetricGroup;
use crate::registry::Registry;

/// A metric group in a `static`, registered in [`Registry::global`] the first time it is used.
///
/// ```
/// use meterstick_core::{Counter, Global, MetricGroup, Registry, Visitor};
/// # struct Requests { total: Counter }
/// # impl Requests { fn new() -> Self { Requests { total: Counter::new() } } }
/// # impl MetricGroup for Requests { fn visit<'a>(&'a self, _: &mut dyn Visitor<'a>) {} }
///
/// // With `#[derive(Metrics)] struct Requests { ... }`:
/// static REQUESTS: Global<Requests> = Global::new(Requests::new);
///
/// REQUESTS.total.inc(); // registers on first use, from whichever thread comes first
/// ```
///
/// Registration happens once, whatever the number of threads racing to it. If it fails (a
/// metric name is already taken), [`Global::try_get`] returns the error every time and
/// dereferencing panics with it: a name clash is a programming error that no data can cause.
pub struct Global<T> {
    cell: OnceLock<Result<Arc<T>, RegistryError>>,
    init: fn() -> T,
}

impl<T: MetricGroup> Global<T> {
    /// A group built by `init` and registered on first use.
    pub const fn new(init: fn() -> T) -> Self {
        Global {
            cell: OnceLock::new(),
            init,
        }
    }

    /// The group, registering it first if this is the first use.
    pub fn try_get(&self) -> Result<&T, &RegistryError> {
        self.cell
            .get_or_init(|| Registry::global().register((self.init)()))
            .as_ref()
            .map(|group| &**group)
    }
}

impl<T: MetricGroup> Deref for Global<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self.try_get() {
            Ok(group) => group,
            Err(err) => panic!(
                "cannot register `{}` in the global registry: {err}",
                type_name::<T>()
            ),
        }
    }
}
