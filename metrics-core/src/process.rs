//! The standard metrics of the process itself, read when they are exported.
//!
//! [`ProcessMetrics`] is a group like any other: register it and every scrape carries the
//! `process_*` metrics that Prometheus's own clients export, under the same names, so that
//! dashboards and alerts made for them work unchanged.
//!
//! | name | type | what |
//! |---|---|---|
//! | `process_cpu_seconds_total` | counter | user and system CPU time |
//! | `process_resident_memory_bytes` | gauge | resident set size |
//! | `process_virtual_memory_bytes` | gauge | virtual memory size |
//! | `process_open_fds` | gauge | open file descriptors |
//! | `process_max_fds` | gauge | the soft limit on open file descriptors |
//! | `process_start_time_seconds` | gauge | when the process started, in seconds since the Unix epoch |
//! | `process_threads` | gauge | threads of the process |
//!
//! On Linux they are read from `/proc/self` (through the `procfs` crate) at each export, on the
//! exporting thread: a few small reads, no thread and no timer of their own. On other systems
//! there is no reader yet: the metrics are described (`# HELP`, `# TYPE`) but have no sample,
//! and their JSON value is `null`. A value that cannot be read (a `/proc` without a file, a
//! limit that is `unlimited`) is left out the same way, never made up.

use std::io;

use crate::descriptor::Descriptor;
use crate::encode::{EncodeMetric, MetricEncoder};
use crate::group::{MetricGroup, Visitor};
use crate::metric::MetricKind;
use crate::sample::Sample;

/// The standard `process_*` metrics, read at each export: see [the module](self).
///
/// ```
/// use meterstick_core::Registry;
/// use meterstick_core::process::ProcessMetrics;
///
/// let registry = Registry::new();
/// registry.register(ProcessMetrics::new()).unwrap();
/// let text = registry.to_prometheus();
/// assert!(text.contains("# TYPE process_cpu_seconds_total counter\n"));
/// # #[cfg(target_os = "linux")]
/// assert!(text.contains("\nprocess_threads "));
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ProcessMetrics {}

impl ProcessMetrics {
    /// The group; nothing is read until an export.
    pub fn new() -> Self {
        ProcessMetrics {}
    }
}

/// One metric of the group: how to read it.
struct Reading(fn() -> Option<Sample<'static>>);

impl EncodeMetric for Reading {
    fn encode(&self, encoder: &mut MetricEncoder<'_, '_>) -> io::Result<()> {
        match (self.0)() {
            Some(sample) => encoder.single(sample),
            None => Ok(()),
        }
    }
}

macro_rules! readings {
    ($($name:literal, $kind:ident, $unit:expr, $help:literal => $read:expr;)*) => {
        static READINGS: [(Descriptor, Reading); 7] = [$((
            {
                let d = Descriptor::new($name, $help, MetricKind::$kind, &[], None);
                match $unit {
                    Some(unit) => d.with_unit(unit),
                    None => d,
                }
            },
            Reading($read),
        ),)*];
    };
}

readings! {
    "process_cpu_seconds_total", Counter, Some("seconds"),
        "total user and system CPU time spent, in seconds"
        => || read::cpu_seconds().map(Sample::FloatCounter);
    "process_max_fds", Gauge, None,
        "the most file descriptors the process may open (the soft limit)"
        => || read::max_fds().map(Sample::Gauge);
    "process_open_fds", Gauge, None,
        "file descriptors open in the process"
        => || read::open_fds().map(Sample::Gauge);
    "process_resident_memory_bytes", Gauge, Some("bytes"),
        "resident memory size, in bytes"
        => || read::resident_bytes().map(Sample::Gauge);
    "process_start_time_seconds", Gauge, Some("seconds"),
        "when the process started, in seconds since the Unix epoch"
        => || read::start_time_seconds().map(Sample::FloatGauge);
    "process_threads", Gauge, None,
        "threads in the process"
        => || read::threads().map(Sample::Gauge);
    "process_virtual_memory_bytes", Gauge, Some("bytes"),
        "virtual memory size, in bytes"
        => || read::virtual_bytes().map(Sample::Gauge);
}

// Not offered as an example when something else fails to be a group.
#[diagnostic::do_not_recommend]
impl MetricGroup for ProcessMetrics {
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
        for (descriptor, reading) in &READINGS {
            visitor.visit_metric(descriptor, reading);
        }
    }
}

#[cfg(target_os = "linux")]
mod read {
    use procfs::process::{LimitValue, Process, Stat};

    fn stat() -> Option<Stat> {
        Process::myself().ok()?.stat().ok()
    }

    fn ticks() -> f64 {
        procfs::ticks_per_second() as f64
    }

    pub(super) fn cpu_seconds() -> Option<f64> {
        let stat = stat()?;
        Some((stat.utime + stat.stime) as f64 / ticks())
    }

    pub(super) fn resident_bytes() -> Option<i64> {
        let bytes = stat()?.rss.checked_mul(procfs::page_size())?;
        i64::try_from(bytes).ok()
    }

    pub(super) fn virtual_bytes() -> Option<i64> {
        i64::try_from(stat()?.vsize).ok()
    }

    pub(super) fn threads() -> Option<i64> {
        Some(stat()?.num_threads)
    }

    pub(super) fn start_time_seconds() -> Option<f64> {
        let boot = procfs::boot_time_secs().ok()? as f64;
        Some(boot + stat()?.starttime as f64 / ticks())
    }

    pub(super) fn open_fds() -> Option<i64> {
        i64::try_from(Process::myself().ok()?.fd_count().ok()?).ok()
    }

    pub(super) fn max_fds() -> Option<i64> {
        match Process::myself()
            .ok()?
            .limits()
            .ok()?
            .max_open_files
            .soft_limit
        {
            LimitValue::Value(n) => i64::try_from(n).ok(),
            LimitValue::Unlimited => None,
        }
    }
}

/// No reader on this system: every metric is described without a value.
#[cfg(not(target_os = "linux"))]
mod read {
    pub(super) fn cpu_seconds() -> Option<f64> {
        None
    }
    pub(super) fn resident_bytes() -> Option<i64> {
        None
    }
    pub(super) fn virtual_bytes() -> Option<i64> {
        None
    }
    pub(super) fn threads() -> Option<i64> {
        None
    }
    pub(super) fn start_time_seconds() -> Option<f64> {
        None
    }
    pub(super) fn open_fds() -> Option<i64> {
        None
    }
    pub(super) fn max_fds() -> Option<i64> {
        None
    }
}
