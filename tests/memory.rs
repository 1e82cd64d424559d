//! The heap a family keeps per series, counted by a global allocator that sums what is
//! requested: the W7 target (at most 64 bytes a series, label bytes included) held as a test, so
//! that a change to the layout of a series cannot miss it unnoticed. Sizes requested are
//! deterministic, so this is no timed test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use meterstick::{Counter, Family, Metrics, Registry};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; the counter only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CURRENT.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CURRENT.fetch_add(new_size, Ordering::Relaxed);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Metrics)]
struct Delivery {
    /// messages delivered, per service
    #[metric(label = "service")]
    delivered: Family<Counter>,
}

/// The bytes a registered family of `values` keeps after one export, per series.
fn per_series(values: &[String]) -> f64 {
    let before = CURRENT.load(Ordering::Relaxed);
    let registry = Registry::new();
    let metrics = registry.register(Delivery::new()).unwrap();
    for v in values {
        metrics.delivered.inc(v);
    }
    // The export builds the family's sorted order, which stays for the next one.
    registry.write_prometheus(std::io::sink()).unwrap();
    assert_eq!(metrics.delivered.len(), values.len());
    let kept = CURRENT.load(Ordering::Relaxed) - before;
    drop((registry, metrics));
    kept as f64 / values.len() as f64
}

#[test]
fn a_series_with_24_bytes_of_labels_keeps_at_most_64_bytes() {
    // W7's workload: 100,000 values averaging 24 bytes.
    let values: Vec<String> = (0..100_000)
        .map(|i| format!("smtp_client:source{i}->"))
        .collect();
    let bytes = per_series(&values);
    assert!(bytes <= 64.0, "{bytes:.1} bytes a series, more than 64");
    // The label's own bytes are in it: the count is not of pointers alone.
    assert!(bytes > 24.0 + 16.0, "{bytes:.1} bytes a series");
}
