//! W7 (heap bytes per series) and W8 (peak extra heap while exporting a million series), for
//! meterstick and the peers, measured with a counting allocator.
//! `cargo bench -p meterstick-benches --bench memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use meterstick::Registry;
use meterstick_benches::{Labeled, MeasuredDynService, MeasuredDynamic, sample_lines};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn current() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

/// Bytes still allocated after `f` runs, less what was allocated before; `f`'s result is kept
/// alive until measured.
fn retained<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = current();
    let kept = f();
    (current().saturating_sub(before), kept)
}

/// The most extra memory in use at once while `f` runs.
fn peak_during(f: impl FnOnce()) -> usize {
    let before = current();
    PEAK.store(before, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed).saturating_sub(before)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct PcService {
    service: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, fastmetrics::derive::LabelSet)]
struct FmService {
    service: String,
}

#[derive(measured::MetricGroup)]
struct MeasuredGroup {
    /// messages delivered, per service
    delivered: measured::CounterVec<MeasuredDynamic>,
}

fn value(i: usize) -> String {
    format!("smtp_client:source{i}->")
}

const W7_SERIES: usize = 100_000;
const W8_SERIES: usize = 1_000_000;

/// The bytes per series retained by each library after creating `n` series, and its registry.
fn w7(n: usize) {
    println!("W7 heap bytes per series, {n} series labeled `smtp_client:source{{i}}->`");
    let label_bytes: usize = (0..n).map(|i| value(i).len()).sum::<usize>() / n;
    println!("  (the label value alone averages {label_bytes} bytes)");
    let report =
        |name: &str, bytes: usize| println!("  {name:<20} {:>6.1}", bytes as f64 / n as f64);

    let (bytes, kept) = retained(|| {
        let values: Vec<String> = (0..n).map(value).collect();
        let before = current();
        let m = Labeled::new();
        for v in &values {
            m.delivered.inc(v);
        }
        let _ = m.delivered.series_limit();
        // One export, so that the sorted index of the family is built and counted.
        let registry = Registry::new();
        let m = registry.register(m).unwrap();
        registry.write_prometheus(std::io::sink()).unwrap();
        assert_eq!(m.delivered.len(), n);
        (current() - before, registry, m)
    });
    let _ = bytes;
    report("meterstick", kept.0);
    drop(kept);

    let (bytes, kept) = retained(|| {
        let vec =
            prometheus::IntCounterVec::new(prometheus::Opts::new("d", "h"), &["service"]).unwrap();
        for i in 0..n {
            vec.with_label_values(&[value(i).as_str()]).inc();
        }
        vec
    });
    report("prometheus", bytes);
    drop(kept);

    let (bytes, kept) = retained(|| {
        let family = prometheus_client::metrics::family::Family::<
            PcService,
            prometheus_client::metrics::counter::Counter,
        >::default();
        for i in 0..n {
            family.get_or_create(&PcService { service: value(i) }).inc();
        }
        family
    });
    report("prometheus-client", bytes);
    drop(kept);

    let (bytes, kept) = retained(|| {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        metrics::with_local_recorder(&recorder, || {
            for i in 0..n {
                metrics::counter!("d", "service" => value(i)).increment(1);
            }
        });
        recorder
    });
    report("metrics", bytes);
    drop(kept);

    let (bytes, kept) = retained(|| {
        let group = MeasuredGroup {
            delivered: measured::CounterVec::with_label_set(MeasuredDynamic {
                service: lasso::ThreadedRodeo::new(),
            }),
        };
        for i in 0..n {
            group
                .delivered
                .inc(MeasuredDynService { service: &value(i) });
        }
        group
    });
    report("measured", bytes);
    drop(kept);

    let (bytes, kept) = retained(|| {
        let family = fastmetrics::metrics::family::Family::<
            FmService,
            fastmetrics::metrics::counter::Counter,
        >::default();
        for i in 0..n {
            family.with_or_new(&FmService { service: value(i) }, |c| c.inc());
        }
        family
    });
    report("fastmetrics", bytes);
    drop(kept);
}

/// A writer that counts what it is given and keeps nothing.
#[derive(Default)]
struct Sink {
    bytes: usize,
    lines: usize,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes += buf.len();
        self.lines += buf.iter().filter(|b| **b == b'\n').count();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The peak extra heap of one export of `n` series, after a first export has built what is kept
/// between scrapes.
fn w8(n: usize) {
    println!("W8 peak extra heap during one export of {n} series");
    let values: Vec<String> = (0..n).map(value).collect();

    let registry = Registry::new();
    let m = registry.register(Labeled::new()).unwrap();
    for v in &values {
        m.delivered.inc(v);
    }
    registry.write_prometheus(std::io::sink()).unwrap();
    for (name, json) in [("meterstick text", false), ("meterstick JSON", true)] {
        let mut sink = Sink::default();
        let peak = peak_during(|| {
            if json {
                registry.write_json(&mut sink).unwrap();
            } else {
                registry.write_prometheus(&mut sink).unwrap();
            }
        });
        if !json {
            assert_eq!(sink.lines, n + 2, "every series written");
        }
        println!(
            "  {name:<20} {:>10} bytes ({} MiB of output)",
            peak,
            sink.bytes >> 20
        );
    }
    drop((registry, m));

    let pr = prometheus::Registry::new();
    let vec =
        prometheus::IntCounterVec::new(prometheus::Opts::new("d", "h"), &["service"]).unwrap();
    pr.register(Box::new(vec.clone())).unwrap();
    for v in &values {
        vec.with_label_values(&[v.as_str()]).inc();
    }
    let peak = peak_during(|| {
        use prometheus::Encoder;
        let mut out = Vec::new();
        prometheus::TextEncoder::new()
            .encode(&pr.gather(), &mut out)
            .unwrap();
        assert_eq!(sample_lines(&out), n);
    });
    println!("  {:<20} {:>10} bytes", "prometheus", peak);
    drop((pr, vec));

    let mut pc = prometheus_client::registry::Registry::default();
    let family = prometheus_client::metrics::family::Family::<
        PcService,
        prometheus_client::metrics::counter::Counter,
    >::default();
    pc.register("d", "h", family.clone());
    for v in &values {
        family
            .get_or_create(&PcService { service: v.clone() })
            .inc();
    }
    let peak = peak_during(|| {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &pc).unwrap();
        assert_eq!(sample_lines(out.as_bytes()), n);
    });
    println!("  {:<20} {:>10} bytes", "prometheus-client", peak);
    drop((pc, family));

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        for v in &values {
            metrics::counter!("d", "service" => v.clone()).increment(1);
        }
    });
    let handle = recorder.handle();
    let peak = peak_during(|| assert_eq!(sample_lines(handle.render().as_bytes()), n));
    println!("  {:<20} {:>10} bytes", "metrics", peak);
    drop((recorder, handle));

    let group = MeasuredGroup {
        delivered: measured::CounterVec::with_label_set(MeasuredDynamic {
            service: lasso::ThreadedRodeo::new(),
        }),
    };
    for v in &values {
        group.delivered.inc(MeasuredDynService { service: v });
    }
    let peak = peak_during(|| {
        use measured::MetricGroup;
        let mut sink = Sink::default();
        let mut enc = measured::text::TextEncoder::new(std::io::BufWriter::new(&mut sink));
        group.collect_group_into(&mut enc).unwrap();
        enc.flush().unwrap();
        drop(enc);
        assert_eq!(sink.lines, n + 2);
    });
    println!("  {:<20} {:>10} bytes", "measured", peak);
    drop(group);

    let mut fm = fastmetrics::registry::Registry::default();
    let family = fastmetrics::metrics::family::Family::<
        FmService,
        fastmetrics::metrics::counter::Counter,
    >::default();
    fm.register("d", "h", family.clone()).unwrap();
    for v in &values {
        family.with_or_new(&FmService { service: v.clone() }, |c| c.inc());
    }
    let peak = peak_during(|| {
        let mut out = String::new();
        fastmetrics::format::text::encode(&mut out, &fm, Default::default()).unwrap();
        assert_eq!(sample_lines(out.as_bytes()), n);
    });
    println!("  {:<20} {:>10} bytes", "fastmetrics", peak);
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument would not apply here.
    w7(W7_SERIES);
    w8(W8_SERIES);
}
