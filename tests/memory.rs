//! The heap a family keeps per series, counted by a global allocator that sums what is
//! requested: the W7 target (at most 64 bytes a series, label bytes included) held as a test, so
//! that a change to the layout of a series cannot miss it unnoticed; and the heap of a registry
//! through a million metrics registered and unregistered by name. Sizes requested are
//! deterministic, so these are no timed tests.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

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

/// Held by each test: the count is of the whole process, so they run one at a time.
static ALONE: Mutex<()> = Mutex::new(());

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
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    // W7's workload: 100,000 values averaging 24 bytes.
    let values: Vec<String> = (0..100_000)
        .map(|i| format!("smtp_client:source{i}->"))
        .collect();
    let bytes = per_series(&values);
    assert!(bytes <= 64.0, "{bytes:.1} bytes a series, more than 64");
    // The label's own bytes are in it: the count is not of pointers alone.
    assert!(bytes > 24.0 + 16.0, "{bytes:.1} bytes a series");
}

#[test]
fn a_million_metrics_registered_and_unregistered_keep_the_heap_flat() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let registry = Arc::new(Registry::new());
    // A few metrics that stay, as a program has.
    let kept = registry
        .counter("kept_total", "a metric that stays")
        .unwrap();
    let families = registry
        .family::<Counter, String>("kept_family", "a family that stays", &["plugin"])
        .unwrap();
    let cycle = move |registry: &Registry, families: &Family<Counter>, i: usize| {
        let name = format!("plugin_{i}_calls");
        match i % 3 {
            0 => registry
                .counter(&name, "calls of one plugin")
                .unwrap()
                .inc(),
            1 => registry
                .gauge_f64(&name, "load of one plugin")
                .unwrap()
                .set(i as f64),
            _ => {
                let family = registry
                    .family::<Counter, String>(&name, "calls per hook", &["hook"])
                    .unwrap();
                family.inc("connect");
            }
        }
        // Exported while registered, then gone.
        if i % 1000 == 0 {
            assert!(registry.to_prometheus().contains(&name));
        }
        assert!(registry.unregister(&name));
        assert!(!registry.unregister(&name));
        families.inc("plugin");
    };
    // Each 100,000 cycles run on a thread of their own: its lookup cache (bounded, 64 KiB at
    // most per metric type) goes with it when the thread has ended, which `join` waits for, and
    // what is left is the registry's. Its tables reach their size in the first round.
    let round = |k: usize| {
        let (registry, families) = (Arc::clone(&registry), Arc::clone(&families));
        std::thread::spawn(move || {
            for i in k * 100_000..(k + 1) * 100_000 {
                cycle(&registry, &families, i);
            }
        })
        .join()
        .unwrap();
        CURRENT.load(Ordering::Relaxed)
    };
    let warm = round(0);
    for k in 1..10 {
        let grown = round(k).saturating_sub(warm);
        assert!(
            grown < 1024,
            "the heap grew by {grown} bytes after {k}00,000 more register/unregister cycles"
        );
    }
    kept.inc();
    assert_eq!(registry.describe().len(), 2);
    assert_eq!(families.get("plugin"), Some(1_000_000));
}
