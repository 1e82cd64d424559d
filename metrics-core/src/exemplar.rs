//! Exemplars: the latest labelled example of a counter's increments, or of the observations in
//! one bucket of a histogram, such as the id of the trace of one request.
//!
//! They are kept beside the metrics, not in them: in one table for the process, by the address
//! of the metric that got them. A metric that never gets one has no room for one and pays
//! nothing: its updates do not look at the table, and an export looks only when the table has
//! an entry. A metric removes its entry when it is dropped, so an address taken again later
//! starts without one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use crate::error::ExemplarError;
use crate::label::is_word;

/// The most characters (Unicode code points) the label names and values of one exemplar may
/// take together, as OpenMetrics sets it.
pub const MAX_EXEMPLAR_CHARS: usize = 128;

/// One exemplar: its labels, the value it was recorded with, and when.
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    labels: Box<[(Box<str>, Box<str>)]>,
    value: f64,
    timestamp: SystemTime,
}

impl Exemplar {
    /// Checks the labels and makes an exemplar of `value`, timestamped now.
    fn new(labels: &[(&str, &str)], value: f64) -> Result<Self, ExemplarError> {
        let mut chars = 0;
        for (i, (name, value)) in labels.iter().enumerate() {
            if !is_word(name, false) {
                return Err(ExemplarError::InvalidName {
                    name: (*name).into(),
                });
            }
            if labels[..i].iter().any(|(n, _)| n == name) {
                return Err(ExemplarError::Twice {
                    name: (*name).into(),
                });
            }
            chars += name.chars().count() + value.chars().count();
        }
        if chars > MAX_EXEMPLAR_CHARS {
            return Err(ExemplarError::TooLong {
                chars,
                max: MAX_EXEMPLAR_CHARS,
            });
        }
        Ok(Exemplar {
            labels: labels
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            value,
            timestamp: SystemTime::now(),
        })
    }

    /// The label names and values, in the order given.
    pub fn labels(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.labels.iter().map(|(n, v)| (&**n, &**v))
    }

    /// The value recorded: a counter's increment, or a histogram's observation.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// When it was recorded.
    pub fn timestamp(&self) -> SystemTime {
        self.timestamp
    }

    /// The timestamp as seconds and nanoseconds since the Unix epoch (before it, negative
    /// seconds and nanoseconds in `0..1e9`).
    pub(crate) fn unix_time(&self) -> (i64, u32) {
        match self.timestamp.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => (
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                d.subsec_nanos(),
            ),
            Err(before) => {
                let d = before.duration();
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                match d.subsec_nanos() {
                    0 => (-secs, 0),
                    n => (-secs - 1, 1_000_000_000 - n),
                }
            }
        }
    }
}

/// The latest exemplar of each bucket of one metric (one bucket for a counter).
type Slots = Box<[Option<Arc<Exemplar>>]>;

/// How many parts the table is split into, each behind its own lock.
const SHARDS: usize = 16;

/// The exemplars of every metric that has one, by the metric's address.
static TABLE: LazyLock<[Mutex<HashMap<usize, Slots>>; SHARDS]> =
    LazyLock::new(|| std::array::from_fn(|_| Mutex::new(HashMap::new())));

/// How many metrics have an entry in [`TABLE`]: while none has, nothing reads the table.
static OWNERS: AtomicUsize = AtomicUsize::new(0);

fn shard(owner: usize) -> MutexGuard<'static, HashMap<usize, Slots>> {
    // Metrics are at least 8 bytes apart; the bits above those spread them over the shards.
    TABLE[(owner >> 3) % SHARDS]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Keeps an exemplar of `value` with `labels` as the latest of bucket `bucket` (of `buckets`)
/// of the metric at `owner`.
pub(crate) fn record(
    owner: usize,
    bucket: usize,
    buckets: usize,
    value: f64,
    labels: &[(&str, &str)],
) -> Result<(), ExemplarError> {
    // Made before the lock is taken: the lock is held only to put it in.
    let exemplar = Arc::new(Exemplar::new(labels, value)?);
    let old = {
        let mut table = shard(owner);
        let slots = table.entry(owner).or_insert_with(|| {
            OWNERS.fetch_add(1, Ordering::Relaxed);
            vec![None; buckets].into_boxed_slice()
        });
        slots
            .get_mut(bucket)
            .and_then(|slot| slot.replace(exemplar))
    };
    // The one replaced, if it was the last reference, is freed after the lock is let go.
    drop(old);
    Ok(())
}

/// The latest exemplar of bucket `bucket` of the metric at `owner`.
#[inline]
pub(crate) fn latest(owner: usize, bucket: usize) -> Option<Arc<Exemplar>> {
    if OWNERS.load(Ordering::Relaxed) == 0 {
        return None;
    }
    latest_in_table(owner, bucket)
}

#[cold]
fn latest_in_table(owner: usize, bucket: usize) -> Option<Arc<Exemplar>> {
    shard(owner).get(&owner)?.get(bucket)?.clone()
}

/// Whether the metric at `owner` has an exemplar in any bucket.
#[inline]
pub(crate) fn any(owner: usize) -> bool {
    OWNERS.load(Ordering::Relaxed) != 0 && shard(owner).contains_key(&owner)
}

/// Drops the exemplars of the metric at `owner`: called as it is dropped.
#[inline]
pub(crate) fn forget(owner: usize) {
    if OWNERS.load(Ordering::Relaxed) != 0 {
        forget_in_table(owner);
    }
}

#[cold]
fn forget_in_table(owner: usize) {
    let removed = shard(owner).remove(&owner);
    if removed.is_some() {
        OWNERS.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_checked_and_counted_in_characters() {
        let id = "a".repeat(120);
        assert!(Exemplar::new(&[("trace_id", &id)], 1.0).is_ok());
        assert_eq!(
            Exemplar::new(&[("trace_id", &format!("{id}b"))], 1.0),
            Err(ExemplarError::TooLong {
                chars: 129,
                max: 128
            })
        );
        // Characters, not bytes: 120 two-byte characters fit.
        assert!(Exemplar::new(&[("trace_id", &"é".repeat(120))], 1.0).is_ok());
        assert!(matches!(
            Exemplar::new(&[("1x", "v")], 1.0),
            Err(ExemplarError::InvalidName { .. })
        ));
        assert!(matches!(
            Exemplar::new(&[("a", "1"), ("a", "2")], 1.0),
            Err(ExemplarError::Twice { .. })
        ));
        assert!(Exemplar::new(&[], 1.0).is_ok());
    }

    #[test]
    fn times_before_the_epoch_count_back_whole_seconds_and_forward_nanoseconds() {
        let at = |offset: std::time::Duration, before: bool| Exemplar {
            labels: Box::new([]),
            value: 1.0,
            timestamp: if before {
                SystemTime::UNIX_EPOCH - offset
            } else {
                SystemTime::UNIX_EPOCH + offset
            },
        };
        let d = std::time::Duration::new(5, 1);
        assert_eq!(at(d, false).unix_time(), (5, 1));
        // -5.000000001 s is -6 s and 999,999,999 ns.
        assert_eq!(at(d, true).unix_time(), (-6, 999_999_999));
        assert_eq!(
            at(std::time::Duration::from_secs(5), true).unix_time(),
            (-5, 0)
        );
    }

    #[test]
    fn a_new_series_starts_without_what_its_address_held() {
        use crate::metric::Metric;
        let counter: crate::Counter = crate::Counter::new();
        counter.inc_with_exemplar(&[("trace_id", "stale")]).unwrap();
        assert!(counter.exemplar().is_some());
        // What a family does with every series it creates.
        counter.start_fresh();
        assert!(counter.exemplar().is_none());
        let histogram = crate::Histogram::default();
        histogram
            .observe_with_exemplar(1.0, &[("trace_id", "stale")])
            .unwrap();
        histogram.start_fresh();
        assert!(!histogram.has_exemplars());
    }

    #[test]
    fn the_latest_is_kept_per_bucket_and_forgotten() {
        let owner = Box::new(0u64);
        let at = &*owner as *const u64 as usize;
        record(at, 1, 3, 0.5, &[("trace_id", "one")]).unwrap();
        record(at, 1, 3, 0.7, &[("trace_id", "two")]).unwrap();
        record(at, 2, 3, 9.0, &[("trace_id", "three")]).unwrap();
        assert!(latest(at, 0).is_none());
        let e = latest(at, 1).unwrap();
        assert_eq!(
            (e.value(), e.labels().next()),
            (0.7, Some(("trace_id", "two")))
        );
        assert_eq!(latest(at, 2).unwrap().value(), 9.0);
        assert!(any(at));
        forget(at);
        assert!(latest(at, 1).is_none() && !any(at));
    }
}
