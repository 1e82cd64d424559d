//! The numbers a counter or gauge can hold: integers, or `f64` kept as its bits in an
//! `AtomicU64`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::atomic_f64::add_f64;
use crate::sample::Sample;

/// A number a [`Gauge`](crate::Gauge) can hold: `i64` (the default) or `f64`. Sealed.
pub trait GaugeValue:
    sealed::Sealed + Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static
{
    /// Where the value is kept.
    #[doc(hidden)]
    type Atomic: Send + Sync + std::fmt::Debug;
    /// The atomic holding zero.
    #[doc(hidden)]
    const ZERO: Self::Atomic;
    /// One, for `inc` and `dec`.
    #[doc(hidden)]
    const ONE: Self;
    #[doc(hidden)]
    fn load(atomic: &Self::Atomic) -> Self;
    #[doc(hidden)]
    fn store(atomic: &Self::Atomic, v: Self);
    #[doc(hidden)]
    fn add(atomic: &Self::Atomic, v: Self);
    #[doc(hidden)]
    fn sub(atomic: &Self::Atomic, v: Self);
    /// The value as an encoder reads it.
    #[doc(hidden)]
    fn sample(self) -> Sample<'static>;
}

/// A number a [`Counter`](crate::Counter) can hold: `u64` (the default) or `f64`. Sealed.
pub trait CounterValue:
    sealed::Sealed + Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static
{
    /// Where the value is kept.
    #[doc(hidden)]
    type Atomic: Send + Sync + std::fmt::Debug;
    /// The atomic holding zero.
    #[doc(hidden)]
    const ZERO: Self::Atomic;
    /// One, for `inc`.
    #[doc(hidden)]
    const ONE: Self;
    #[doc(hidden)]
    fn load(atomic: &Self::Atomic) -> Self;
    /// Adds `v`; for `f64`, only a finite or infinite amount of at least zero.
    #[doc(hidden)]
    fn increase(atomic: &Self::Atomic, v: Self);
    /// `v` as the value of an exemplar, or `None` for an amount [`CounterValue::increase`]
    /// ignores.
    #[doc(hidden)]
    fn exemplar_value(v: Self) -> Option<f64>;
    /// The value as an encoder reads it.
    #[doc(hidden)]
    fn sample(self) -> Sample<'static>;
}

pub(crate) mod sealed {
    pub trait Sealed {}
    impl Sealed for i64 {}
    impl Sealed for u64 {}
    impl Sealed for f64 {}
}

impl GaugeValue for i64 {
    type Atomic = AtomicI64;
    const ZERO: AtomicI64 = AtomicI64::new(0);
    const ONE: i64 = 1;

    #[inline]
    fn load(atomic: &AtomicI64) -> i64 {
        atomic.load(Ordering::Relaxed)
    }

    #[inline]
    fn store(atomic: &AtomicI64, v: i64) {
        atomic.store(v, Ordering::Relaxed)
    }

    #[inline]
    fn add(atomic: &AtomicI64, v: i64) {
        atomic.fetch_add(v, Ordering::Relaxed);
    }

    #[inline]
    fn sub(atomic: &AtomicI64, v: i64) {
        atomic.fetch_sub(v, Ordering::Relaxed);
    }

    #[inline]
    fn sample(self) -> Sample<'static> {
        Sample::Gauge(self)
    }
}

impl CounterValue for u64 {
    type Atomic = AtomicU64;
    const ZERO: AtomicU64 = AtomicU64::new(0);
    const ONE: u64 = 1;

    #[inline]
    fn load(atomic: &AtomicU64) -> u64 {
        atomic.load(Ordering::Relaxed)
    }

    #[inline]
    fn increase(atomic: &AtomicU64, v: u64) {
        atomic.fetch_add(v, Ordering::Relaxed);
    }

    fn exemplar_value(v: u64) -> Option<f64> {
        Some(v as f64)
    }

    #[inline]
    fn sample(self) -> Sample<'static> {
        Sample::Counter(self)
    }
}

impl GaugeValue for f64 {
    type Atomic = AtomicU64;
    // The bits of 0.0 are all zero.
    const ZERO: AtomicU64 = AtomicU64::new(0);
    const ONE: f64 = 1.0;

    #[inline]
    fn load(atomic: &AtomicU64) -> f64 {
        f64::from_bits(atomic.load(Ordering::Relaxed))
    }

    #[inline]
    fn store(atomic: &AtomicU64, v: f64) {
        atomic.store(v.to_bits(), Ordering::Relaxed)
    }

    #[inline]
    fn add(atomic: &AtomicU64, v: f64) {
        add_f64(atomic, v)
    }

    #[inline]
    fn sub(atomic: &AtomicU64, v: f64) {
        add_f64(atomic, -v)
    }

    #[inline]
    fn sample(self) -> Sample<'static> {
        Sample::FloatGauge(self)
    }
}

impl CounterValue for f64 {
    type Atomic = AtomicU64;
    const ZERO: AtomicU64 = AtomicU64::new(0);
    const ONE: f64 = 1.0;

    #[inline]
    fn load(atomic: &AtomicU64) -> f64 {
        f64::from_bits(atomic.load(Ordering::Relaxed))
    }

    #[inline]
    fn increase(atomic: &AtomicU64, v: f64) {
        // `!(v >= 0.0)` is also true of NaN: a counter never goes down nor becomes NaN.
        if v >= 0.0 {
            add_f64(atomic, v)
        }
    }

    fn exemplar_value(v: f64) -> Option<f64> {
        (v >= 0.0).then_some(v)
    }

    #[inline]
    fn sample(self) -> Sample<'static> {
        Sample::FloatCounter(self)
    }
}
