//! Meterstick side by side with `prometheus`, `prometheus-client`, `metrics`
//! (+ `metrics-exporter-prometheus`), `measured` and `fastmetrics`, and the physical limits, on
//! the workloads W1-W6 and W8 (time), the protobuf export of W6 (P1), histogram observations,
//! classic and native (N1), and pushes of W6 (R1, R2). Every exporter's output is checked, so
//! that a fast wrong answer cannot win. `cargo bench -p meterstick-benches --bench compare`.

use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use meterstick::{Counter, Format, Gauge, Histogram, Metrics, NativeHistogram, Registry};
use meterstick_benches::{
    Labeled, MeasuredDynService, MeasuredDynamic, sample_lines, service_values,
};

const LABELS: usize = 100;

/// Runs `f(iters)` on two threads at once; the per-thread time of one iteration is the result
/// divided by `iters`.
fn two_threads(iters: u64, f: impl Fn(u64) + Sync) -> Duration {
    two_threads_indexed(iters, |_, n| f(n))
}

/// As [`two_threads`], telling `f` which thread (0 or 1) it runs on.
fn two_threads_indexed(iters: u64, f: impl Fn(usize, u64) + Sync) -> Duration {
    let barrier = Barrier::new(2);
    let run = |thread| {
        barrier.wait();
        let start = Instant::now();
        f(thread, iters);
        start.elapsed()
    };
    std::thread::scope(|s| {
        let other = s.spawn(|| run(1));
        let mine = run(0);
        mine.max(other.join().unwrap())
    })
}

/// Two contenders timed in turns: a stretch of one, then the same stretch of the other, over and
/// over. On a shared machine whose speed changes from one second to the next, two benchmarks run
/// one after the other can meet different machines; timed in turns, both meet the same one, and
/// the ratio of their totals is the comparison to read.
struct Turns {
    /// Iterations of one contender between two switches.
    chunk: u64,
    /// The time each took in all, and the iterations each ran.
    totals: std::cell::Cell<(Duration, Duration, u64)>,
}

impl Turns {
    fn new(chunk: u64) -> Self {
        Turns {
            chunk,
            totals: Default::default(),
        }
    }

    /// Runs `n` iterations of each, `a(k)` and `b(k)` in turns; returns the time of both.
    fn run(&self, n: u64, mut a: impl FnMut(u64), mut b: impl FnMut(u64)) -> Duration {
        let (mut time_a, mut time_b) = (Duration::ZERO, Duration::ZERO);
        let mut left = n;
        while left > 0 {
            let k = left.min(self.chunk);
            let start = Instant::now();
            a(k);
            time_a += start.elapsed();
            let start = Instant::now();
            b(k);
            time_b += start.elapsed();
            left -= k;
        }
        let (sum_a, sum_b, iters) = self.totals.get();
        self.totals.set((sum_a + time_a, sum_b + time_b, iters + n));
        time_a + time_b
    }

    /// Prints the ratio of the two totals and the time of one iteration of each, and starts over;
    /// prints nothing when they did not run.
    fn report(&self, group: &str, a: &str, b: &str) {
        let (sum_a, sum_b, iters) = self.totals.take();
        if iters == 0 {
            // Left out by a filter on the command line.
            return;
        }
        let per = |sum: Duration| sum.as_secs_f64() * 1e9 / iters as f64;
        println!(
            "{group}, in turns: {a} / {b} = {:.3} ({:.2} ns / {:.2} ns an iteration, {iters} each)",
            sum_a.as_secs_f64() / sum_b.as_secs_f64(),
            per(sum_a),
            per(sum_b),
        );
    }
}

/// The label values of the labeled workloads, made once.
fn values() -> &'static [&'static str] {
    static VALUES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    VALUES.get_or_init(|| service_values(LABELS))
}

/// The values of the large-family variants of W3 and W4: more than the per-thread cache of a
/// family holds (1,024), so that almost every lookup goes to the family's table.
const MANY_LABELS: usize = 10_000;

fn many_values() -> &'static [&'static str] {
    static VALUES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    VALUES.get_or_init(|| service_values(MANY_LABELS))
}

/// Cycles through the label values.
struct Cycle {
    values: &'static [&'static str],
    i: usize,
}

impl Cycle {
    /// Starts at value `start` of `values`: the two threads of W4 start half the cycle apart,
    /// as two threads serving different requests would, rather than in lock step on the same
    /// series.
    fn starting_at(values: &'static [&'static str], start: usize) -> Self {
        Cycle { values, i: start }
    }

    #[inline]
    fn next(&mut self) -> &'static str {
        self.i += 1;
        if self.i == self.values.len() {
            self.i = 0;
        }
        self.values[self.i]
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct PcService {
    service: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, fastmetrics::derive::LabelSet)]
struct FmService {
    service: &'static str,
}

#[derive(Clone, Copy, PartialEq, Debug, measured::LabelGroup)]
#[label(set = MeasuredInterned)]
struct MeasuredService<'a> {
    #[label(fixed_with = lasso::RodeoReader)]
    service: &'a str,
}

fn measured_interned(values: &[&str]) -> measured::CounterVec<MeasuredInterned> {
    let reader = lasso::Rodeo::from_iter(values).into_reader();
    measured::CounterVec::with_label_set(MeasuredInterned { service: reader })
}

fn metrics_recorder() -> metrics_exporter_prometheus::PrometheusRecorder {
    metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder()
}

fn w1_w2(c: &mut Criterion) {
    let mut g = c.benchmark_group("W1 unlabeled inc, 1 thread");
    let raw = AtomicU64::new(0);
    g.bench_function("atomic fetch_add", |b| {
        b.iter(|| black_box(&raw).fetch_add(1, Ordering::Relaxed))
    });
    let ms: Counter = Counter::new();
    g.bench_function("meterstick", |b| b.iter(|| black_box(&ms).inc()));
    let p = prometheus::IntCounter::new("c", "h").unwrap();
    g.bench_function("prometheus", |b| b.iter(|| black_box(&p).inc()));
    let pc = prometheus_client::metrics::counter::Counter::<u64>::default();
    g.bench_function("prometheus-client", |b| b.iter(|| black_box(&pc).inc()));
    let recorder = metrics_recorder();
    let mc = metrics::with_local_recorder(&recorder, || metrics::counter!("c"));
    g.bench_function("metrics", |b| b.iter(|| black_box(&mc).increment(1)));
    let me = measured::Counter::new();
    g.bench_function("measured", |b| b.iter(|| black_box(&me).inc()));
    let fm = fastmetrics::metrics::counter::Counter::<u64>::default();
    g.bench_function("fastmetrics", |b| b.iter(|| black_box(&fm).inc()));
    g.finish();

    // Meterstick against the atomic, in turns (about a millisecond each).
    let mut g = c.benchmark_group("W1 in turns");
    let turns = Turns::new(300_000);
    g.bench_function("meterstick + atomic fetch_add", |b| {
        b.iter_custom(|n| {
            turns.run(
                n,
                |k| (0..k).for_each(|_| black_box(&ms).inc()),
                |k| {
                    (0..k).for_each(|_| {
                        black_box(&raw).fetch_add(1, Ordering::Relaxed);
                    })
                },
            )
        })
    });
    turns.report("W1", "meterstick", "atomic fetch_add");
    g.finish();

    let mut g = c.benchmark_group("W2 unlabeled inc, 2 threads (per thread)");
    g.bench_function("atomic fetch_add", |b| {
        b.iter_custom(|n| {
            two_threads(n, |n| {
                for _ in 0..n {
                    black_box(&raw).fetch_add(1, Ordering::Relaxed);
                }
            })
        })
    });
    let sharded = meterstick::ShardedCounter::new();
    // Checked first: the sharded counter loses nothing across threads.
    two_threads(10_000, |n| (0..n).for_each(|_| sharded.inc()));
    assert_eq!(sharded.get(), 20_000);
    g.bench_function("meterstick sharded", |b| {
        b.iter_custom(|n| {
            two_threads(n, |n| {
                for _ in 0..n {
                    black_box(&sharded).inc();
                }
            })
        })
    });
    g.bench_function("meterstick", |b| {
        b.iter_custom(|n| two_threads(n, |n| (0..n).for_each(|_| black_box(&ms).inc())))
    });
    g.bench_function("prometheus", |b| {
        b.iter_custom(|n| two_threads(n, |n| (0..n).for_each(|_| black_box(&p).inc())))
    });
    g.bench_function("prometheus-client", |b| {
        b.iter_custom(|n| {
            two_threads(n, |n| {
                for _ in 0..n {
                    black_box(&pc).inc();
                }
            })
        })
    });
    g.bench_function("metrics", |b| {
        b.iter_custom(|n| two_threads(n, |n| (0..n).for_each(|_| black_box(&mc).increment(1))))
    });
    g.bench_function("measured", |b| {
        b.iter_custom(|n| two_threads(n, |n| (0..n).for_each(|_| black_box(&me).inc())))
    });
    g.bench_function("fastmetrics", |b| {
        b.iter_custom(|n| {
            two_threads(n, |n| {
                for _ in 0..n {
                    black_box(&fm).inc();
                }
            })
        })
    });
    g.finish();
}

/// The labeled workloads, each as a function of how many increments to make on this thread.
struct LabeledPeers {
    values: &'static [&'static str],
    meterstick: Labeled,
    prometheus: prometheus::IntCounterVec,
    prometheus_client: prometheus_client::metrics::family::Family<
        PcService,
        prometheus_client::metrics::counter::Counter,
    >,
    metrics: metrics_exporter_prometheus::PrometheusRecorder,
    measured: measured::CounterVec<MeasuredInterned>,
    fastmetrics:
        fastmetrics::metrics::family::Family<FmService, fastmetrics::metrics::counter::Counter>,
}

impl LabeledPeers {
    fn new(values: &'static [&'static str]) -> Self {
        LabeledPeers {
            values,
            meterstick: Labeled::new(),
            prometheus: prometheus::IntCounterVec::new(
                prometheus::Opts::new("delivered", "h"),
                &["service"],
            )
            .unwrap(),
            prometheus_client: Default::default(),
            metrics: metrics_recorder(),
            measured: measured_interned(values),
            fastmetrics: Default::default(),
        }
    }

    /// Makes `n` increments on this thread (`thread` picks where in the cycle of values it
    /// starts). Each library's loop is a function of its own, so that none is compiled inside
    /// one shared function with the others' code.
    fn run(&self, peer: &str, thread: usize, n: u64) {
        let cycle = Cycle::starting_at(self.values, thread * self.values.len() / 2);
        match peer {
            "meterstick" => self.run_meterstick(cycle, n),
            "prometheus" => self.run_prometheus(cycle, n),
            "prometheus-client" => self.run_prometheus_client(cycle, n),
            "metrics" => self.run_metrics(cycle, n),
            "measured" => self.run_measured(cycle, n),
            "fastmetrics" => self.run_fastmetrics(cycle, n),
            other => unreachable!("{other}"),
        }
    }

    #[inline(never)]
    fn run_meterstick(&self, mut cycle: Cycle, n: u64) {
        (0..n).for_each(|_| self.meterstick.delivered.inc(cycle.next()))
    }

    #[inline(never)]
    fn run_prometheus(&self, mut cycle: Cycle, n: u64) {
        (0..n).for_each(|_| self.prometheus.with_label_values(&[cycle.next()]).inc())
    }

    #[inline(never)]
    fn run_prometheus_client(&self, mut cycle: Cycle, n: u64) {
        (0..n).for_each(|_| {
            self.prometheus_client
                .get_or_create(&PcService {
                    service: cycle.next(),
                })
                .inc();
        })
    }

    #[inline(never)]
    fn run_metrics(&self, mut cycle: Cycle, n: u64) {
        metrics::with_local_recorder(&self.metrics, || {
            (0..n).for_each(|_| {
                metrics::counter!("delivered", "service" => cycle.next()).increment(1)
            })
        })
    }

    #[inline(never)]
    fn run_measured(&self, mut cycle: Cycle, n: u64) {
        (0..n).for_each(|_| {
            self.measured.inc(MeasuredService {
                service: cycle.next(),
            })
        })
    }

    #[inline(never)]
    fn run_fastmetrics(&self, mut cycle: Cycle, n: u64) {
        (0..n).for_each(|_| {
            self.fastmetrics.with_or_new(
                &FmService {
                    service: cycle.next(),
                },
                |c| c.inc(),
            )
        })
    }
}

const PEERS: [&str; 6] = [
    "meterstick",
    "prometheus",
    "prometheus-client",
    "metrics",
    "measured",
    "fastmetrics",
];

impl LabeledPeers {
    /// Adds each library's loop on one thread to `g`.
    fn bench_one_thread(&self, g: &mut BenchmarkGroup<'_, WallTime>) {
        for peer in PEERS {
            g.bench_function(peer, |b| {
                b.iter_custom(|n| {
                    let start = Instant::now();
                    self.run(peer, 0, n);
                    start.elapsed()
                })
            });
        }
    }

    /// Makes `n` increments of `peer` on each of `threads` threads (one or two) at once.
    fn run_on(&self, peer: &str, threads: usize, n: u64) {
        match threads {
            1 => self.run(peer, 0, n),
            _ => {
                two_threads_indexed(n, |thread, n| self.run(peer, thread, n));
            }
        }
    }

    /// Adds meterstick and each peer on `threads` threads (one or two), timed in turns `chunk`
    /// increments at a time, to `g`, and prints their ratios under `name`.
    fn bench_in_turns(
        &self,
        g: &mut BenchmarkGroup<'_, WallTime>,
        name: &str,
        threads: usize,
        chunk: u64,
    ) {
        let turns = Turns::new(chunk);
        for peer in PEERS.iter().filter(|p| **p != "meterstick") {
            g.bench_function(format!("meterstick + {peer}"), |b| {
                b.iter_custom(|n| {
                    turns.run(
                        n,
                        |k| self.run_on("meterstick", threads, k),
                        |k| self.run_on(peer, threads, k),
                    )
                })
            });
            turns.report(name, "meterstick", peer);
        }
    }

    /// Adds each library's loop on two threads at once to `g`.
    fn bench_two_threads(&self, g: &mut BenchmarkGroup<'_, WallTime>) {
        for peer in PEERS {
            g.bench_function(peer, |b| {
                b.iter_custom(|n| two_threads_indexed(n, |thread, n| self.run(peer, thread, n)))
            });
        }
    }

    /// Checks that every increment of two threads at once landed: the meterstick totals are
    /// exact, and there is one series a value.
    fn check_totals(&self) {
        let total = || -> u64 {
            self.values
                .iter()
                .filter_map(|v| self.meterstick.delivered.get(v))
                .sum()
        };
        let before = total();
        let each = self.values.len() as u64;
        two_threads_indexed(each, |thread, n| self.run("meterstick", thread, n));
        assert_eq!(total() - before, 2 * each);
        assert_eq!(self.meterstick.delivered.len(), self.values.len());
    }
}

/// The float gauge: `set` against an atomic store of the bits, `add` against the float gauges of
/// the peers (each adds by compare-and-swap, as meterstick does).
fn float_gauge(c: &mut Criterion) {
    let mut g = c.benchmark_group("F1 float gauge set, 1 thread");
    let raw = AtomicU64::new(0);
    g.bench_function("atomic store", |b| {
        b.iter(|| black_box(&raw).store(black_box(0.5f64).to_bits(), Ordering::Relaxed))
    });
    let ms: Gauge<f64> = Gauge::new();
    g.bench_function("meterstick", |b| {
        b.iter(|| black_box(&ms).set(black_box(0.5)))
    });
    g.finish();

    let mut g = c.benchmark_group("F1 in turns");
    let turns = Turns::new(300_000);
    g.bench_function("meterstick + atomic store", |b| {
        b.iter_custom(|n| {
            turns.run(
                n,
                |k| (0..k).for_each(|i| black_box(&ms).set(black_box(i as f64))),
                |k| {
                    (0..k).for_each(|i| {
                        black_box(&raw).store(black_box(i as f64).to_bits(), Ordering::Relaxed)
                    })
                },
            )
        })
    });
    turns.report("F1 set", "meterstick", "atomic store");
    g.finish();

    let mut g = c.benchmark_group("F2 float gauge add, 1 thread");
    g.bench_function("meterstick", |b| {
        b.iter(|| black_box(&ms).add(black_box(0.5)))
    });
    let p = prometheus::Gauge::new("g", "h").unwrap();
    g.bench_function("prometheus", |b| {
        b.iter(|| black_box(&p).add(black_box(0.5)))
    });
    let pc = prometheus_client::metrics::gauge::Gauge::<f64, AtomicU64>::default();
    g.bench_function("prometheus-client", |b| {
        b.iter(|| black_box(&pc).inc_by(black_box(0.5)))
    });
    let recorder = metrics_recorder();
    let mg = metrics::with_local_recorder(&recorder, || metrics::gauge!("g"));
    g.bench_function("metrics", |b| {
        b.iter(|| black_box(&mg).increment(black_box(0.5)))
    });
    g.finish();

    let mut g = c.benchmark_group("F2 in turns");
    let turns = Turns::new(300_000);
    for peer in ["prometheus-client", "metrics", "prometheus"] {
        g.bench_function(format!("meterstick + {peer}"), |b| {
            b.iter_custom(|n| {
                turns.run(
                    n,
                    |k| (0..k).for_each(|_| black_box(&ms).add(black_box(0.5))),
                    |k| match peer {
                        "prometheus-client" => (0..k).for_each(|_| {
                            black_box(&pc).inc_by(black_box(0.5));
                        }),
                        "metrics" => (0..k).for_each(|_| black_box(&mg).increment(black_box(0.5))),
                        _ => (0..k).for_each(|_| black_box(&p).add(black_box(0.5))),
                    },
                )
            })
        });
        turns.report("F2 add", "meterstick", peer);
    }
    g.finish();
}

fn w3_w4(c: &mut Criterion) {
    let peers = LabeledPeers::new(values());
    let mut g = c.benchmark_group("W3 labeled inc by &str, 1 thread");
    let raw: Vec<AtomicU64> = (0..LABELS).map(|_| AtomicU64::new(0)).collect();
    g.bench_function("atomic fetch_add (100 counters)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = if i + 1 == LABELS { 0 } else { i + 1 };
            black_box(&raw[i]).fetch_add(1, Ordering::Relaxed)
        })
    });
    peers.bench_one_thread(&mut g);
    g.finish();

    // The same, meterstick and each peer in turns (about a millisecond each).
    let mut g = c.benchmark_group("W3 in turns");
    peers.bench_in_turns(&mut g, "W3", 1, 50_000);
    g.finish();

    // A family registered by name at run time against the derived one, in turns.
    let mut g = c.benchmark_group("W3 runtime family in turns");
    let registry = Registry::new();
    let runtime = registry
        .family::<Counter, String>("delivered", "messages delivered, per service", &["service"])
        .unwrap();
    let turns = Turns::new(50_000);
    let (mut a, mut b) = (
        Cycle::starting_at(values(), 0),
        Cycle::starting_at(values(), 0),
    );
    g.bench_function("runtime + derived", |bencher| {
        bencher.iter_custom(|n| {
            turns.run(
                n,
                |k| (0..k).for_each(|_| runtime.inc(a.next())),
                |k| (0..k).for_each(|_| peers.meterstick.delivered.inc(b.next())),
            )
        })
    });
    turns.report("W3 runtime family", "runtime", "derived");
    g.finish();

    let mut g = c.benchmark_group("W4 labeled inc by &str, 2 threads (per thread)");
    peers.bench_two_threads(&mut g);
    g.finish();
    peers.check_totals();

    // W3 and W4 over a family too large for the per-thread cache: the family's own table.
    let peers = LabeledPeers::new(many_values());
    let mut g = c.benchmark_group("W3 large family, 10k values, 1 thread");
    peers.bench_one_thread(&mut g);
    g.finish();
    let mut g = c.benchmark_group("W3 large family in turns");
    peers.bench_in_turns(&mut g, "W3 large family", 1, 20_000);
    g.finish();
    let mut g = c.benchmark_group("W4 large family, 10k values, 2 threads (per thread)");
    peers.bench_two_threads(&mut g);
    g.finish();

    // The same, meterstick and each peer in turns (a few milliseconds each, two threads each).
    let mut g = c.benchmark_group("W4 large family in turns");
    peers.bench_in_turns(&mut g, "W4 large family", 2, 20_000);
    g.finish();
    peers.check_totals();
}

fn w5(c: &mut Criterion) {
    let values = service_values(LABELS);
    let mut g = c.benchmark_group("W5 labeled inc through held handles, 1 thread");
    let raw: Vec<AtomicU64> = (0..LABELS).map(|_| AtomicU64::new(0)).collect();
    let mut i = 0;
    g.bench_function("atomic fetch_add (100 counters)", |b| {
        b.iter(|| {
            i = if i + 1 == LABELS { 0 } else { i + 1 };
            black_box(&raw[i]).fetch_add(1, Ordering::Relaxed)
        })
    });
    let m = Labeled::new();
    let ours: Vec<_> = values.iter().map(|v| m.delivered.with(v)).collect();
    g.bench_function("meterstick", |b| {
        b.iter(|| {
            i = if i + 1 == LABELS { 0 } else { i + 1 };
            black_box(&ours[i]).inc()
        })
    });
    let p = prometheus::IntCounterVec::new(prometheus::Opts::new("d", "h"), &["service"]).unwrap();
    let theirs: Vec<_> = values.iter().map(|v| p.with_label_values(&[v])).collect();
    g.bench_function("prometheus", |b| {
        b.iter(|| {
            i = if i + 1 == LABELS { 0 } else { i + 1 };
            black_box(&theirs[i]).inc()
        })
    });
    let pc = prometheus_client::metrics::family::Family::<
        PcService,
        prometheus_client::metrics::counter::Counter,
    >::default();
    let handles: Vec<_> = values
        .iter()
        .map(|v| pc.get_or_create(&PcService { service: v }).clone())
        .collect();
    g.bench_function("prometheus-client", |b| {
        b.iter(|| {
            i = if i + 1 == LABELS { 0 } else { i + 1 };
            black_box(&handles[i]).inc()
        })
    });
    let recorder = metrics_recorder();
    let handles: Vec<_> = metrics::with_local_recorder(&recorder, || {
        values
            .iter()
            .map(|v| metrics::counter!("d", "service" => *v))
            .collect()
    });
    g.bench_function("metrics", |b| {
        b.iter(|| {
            i = if i + 1 == LABELS { 0 } else { i + 1 };
            black_box(&handles[i]).increment(1)
        })
    });
    g.finish();

    // Meterstick's handles against the atomics, in turns (about a millisecond each); and the
    // handles of `prometheus`, the fastest peer here, against them too, for the cost of a handle
    // itself.
    let mut g = c.benchmark_group("W5 in turns");
    let turns = Turns::new(300_000);
    let next = |i: &mut usize| {
        *i = if *i + 1 == LABELS { 0 } else { *i + 1 };
        *i
    };
    let (mut i, mut j) = (0, 0);
    for a in ["meterstick", "prometheus"] {
        let b = "atomic fetch_add (100 counters)";
        g.bench_function(format!("{a} + {b}"), |bencher| {
            bencher.iter_custom(|n| {
                turns.run(
                    n,
                    |k| match a {
                        "meterstick" => (0..k).for_each(|_| black_box(&ours[next(&mut i)]).inc()),
                        _ => (0..k).for_each(|_| black_box(&theirs[next(&mut i)]).inc()),
                    },
                    |k| {
                        (0..k).for_each(|_| {
                            black_box(&raw[next(&mut j)]).fetch_add(1, Ordering::Relaxed);
                        })
                    },
                )
            })
        });
        turns.report("W5", a, b);
    }
    g.finish();
}

const SERIES_W6: usize = 10_000;
const GAUGES: usize = 20;

macro_rules! twenty_gauges {
    ($(#[$meta:meta])* struct $name:ident { $($field:ident),* }) => {
        $(#[$meta])*
        struct $name {
            $(
                #[metric(help = "one of twenty gauges")]
                $field: Gauge,
            )*
        }

        impl $name {
            fn set_all(&self) {
                let mut v = 0;
                $( v += 7; self.$field.set(v); )*
            }
        }
    };
}

twenty_gauges! {
    #[derive(Metrics)]
    struct Gauges { g00, g01, g02, g03, g04, g05, g06, g07, g08, g09, g10, g11, g12, g13, g14, g15, g16, g17, g18, g19 }
}

#[derive(measured::MetricGroup)]
struct MeasuredW6 {
    /// messages delivered, per service
    delivered: measured::CounterVec<MeasuredDynamic>,
    #[metric(flatten)]
    gauges: MeasuredGauges,
}

macro_rules! measured_gauges {
    ($($field:ident),*) => {
        #[derive(measured::MetricGroup, Default)]
        struct MeasuredGauges {
            $(
                /// one of twenty gauges
                $field: measured::Gauge,
            )*
        }

        impl MeasuredGauges {
            fn set_all(&self) {
                let mut v = 0;
                $( v += 7; self.$field.set(v); )*
            }
        }
    };
}
measured_gauges!(
    g00, g01, g02, g03, g04, g05, g06, g07, g08, g09, g10, g11, g12, g13, g14, g15, g16, g17, g18,
    g19
);

/// A registry of `series` labeled counters and the twenty gauges, for every library.
struct Exporters {
    meterstick: Registry,
    prometheus: prometheus::Registry,
    prometheus_client: prometheus_client::registry::Registry,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
    measured: MeasuredW6,
    fastmetrics: fastmetrics::registry::Registry,
}

impl Exporters {
    fn new(series: usize) -> Self {
        let values: Vec<String> = (0..series)
            .map(|i| format!("smtp_client:source{i}->"))
            .collect();

        let meterstick = Registry::new();
        let labeled = meterstick.register(Labeled::new()).unwrap();
        meterstick.register(Gauges::new()).unwrap().set_all();
        for (i, v) in values.iter().enumerate() {
            labeled.delivered.inc_by(v, i as u64);
        }

        let prometheus = prometheus::Registry::new();
        let vec = prometheus::IntCounterVec::new(
            prometheus::Opts::new("delivered", "messages delivered, per service"),
            &["service"],
        )
        .unwrap();
        prometheus.register(Box::new(vec.clone())).unwrap();
        for (i, v) in values.iter().enumerate() {
            vec.with_label_values(&[v.as_str()]).inc_by(i as u64);
        }
        for g in 0..GAUGES {
            let gauge =
                prometheus::IntGauge::new(format!("g{g:02}"), "one of twenty gauges").unwrap();
            gauge.set(7 * (g as i64 + 1));
            prometheus.register(Box::new(gauge)).unwrap();
        }

        let mut prometheus_client = prometheus_client::registry::Registry::default();
        let family = prometheus_client::metrics::family::Family::<
            PcService,
            prometheus_client::metrics::counter::Counter,
        >::default();
        prometheus_client.register(
            "delivered",
            "messages delivered, per service",
            family.clone(),
        );
        for (i, v) in values.iter().enumerate() {
            let service: &'static str = Box::leak(v.clone().into_boxed_str());
            family
                .get_or_create(&PcService { service })
                .inc_by(i as u64);
        }
        for g in 0..GAUGES {
            let gauge = prometheus_client::metrics::gauge::Gauge::<i64>::default();
            gauge.set(7 * (g as i64 + 1));
            prometheus_client.register(format!("g{g:02}"), "one of twenty gauges", gauge);
        }

        let recorder = metrics_recorder();
        metrics::with_local_recorder(&recorder, || {
            metrics::describe_counter!("delivered", "messages delivered, per service");
            for (i, v) in values.iter().enumerate() {
                metrics::counter!("delivered", "service" => v.clone()).increment(i as u64);
            }
            for g in 0..GAUGES {
                metrics::describe_gauge!(format!("g{g:02}"), "one of twenty gauges");
                metrics::gauge!(format!("g{g:02}")).set(7.0 * (g as f64 + 1.0));
            }
        });
        let metrics = recorder.handle();

        let measured = MeasuredW6 {
            delivered: measured::CounterVec::with_label_set(MeasuredDynamic {
                service: lasso::ThreadedRodeo::new(),
            }),
            gauges: MeasuredGauges::default(),
        };
        measured.gauges.set_all();
        for (i, v) in values.iter().enumerate() {
            measured
                .delivered
                .inc_by(MeasuredDynService { service: v }, i as u64);
        }

        let mut fastmetrics = fastmetrics::registry::Registry::default();
        let family = fastmetrics::metrics::family::Family::<
            FmService,
            fastmetrics::metrics::counter::Counter,
        >::default();
        fastmetrics
            .register(
                "delivered",
                "messages delivered, per service",
                family.clone(),
            )
            .unwrap();
        for (i, v) in values.iter().enumerate() {
            let service: &'static str = Box::leak(v.clone().into_boxed_str());
            family.with_or_new(&FmService { service }, |c| c.inc_by(i as u64));
        }
        for g in 0..GAUGES {
            let gauge = fastmetrics::metrics::gauge::Gauge::<i64>::default();
            gauge.set(7 * (g as i64 + 1));
            fastmetrics
                .register(format!("g{g:02}"), "one of twenty gauges", gauge)
                .unwrap();
        }

        Exporters {
            meterstick,
            prometheus,
            prometheus_client,
            metrics,
            measured,
            fastmetrics,
        }
    }

    /// Writes the text exposition of `peer` into `out`.
    fn encode(&self, peer: &str, out: &mut Vec<u8>) {
        out.clear();
        match peer {
            "meterstick" => self.meterstick.render_into(Format::Prometheus, out),
            "meterstick JSON" => self.meterstick.render_into(Format::Json, out),
            "prometheus" => {
                use prometheus::Encoder;
                prometheus::TextEncoder::new()
                    .encode(&self.prometheus.gather(), out)
                    .unwrap()
            }
            "prometheus-client" => {
                let mut s = String::with_capacity(out.capacity());
                prometheus_client::encoding::text::encode(&mut s, &self.prometheus_client).unwrap();
                out.extend_from_slice(s.as_bytes());
            }
            "metrics" => out.extend_from_slice(self.metrics.render().as_bytes()),
            "measured" => {
                use measured::MetricGroup;
                let mut enc = measured::text::TextEncoder::new(&mut *out);
                self.measured.collect_group_into(&mut enc).unwrap();
                enc.flush().unwrap();
            }
            "fastmetrics" => {
                let mut s = String::with_capacity(out.capacity());
                fastmetrics::format::text::encode(&mut s, &self.fastmetrics, Default::default())
                    .unwrap();
                out.extend_from_slice(s.as_bytes());
            }
            other => unreachable!("{other}"),
        }
    }

    /// Encodes once and checks that every series is there.
    fn check(&self, peer: &str, series: usize) {
        let mut out = Vec::new();
        self.encode(peer, &mut out);
        if peer == "meterstick JSON" {
            let json: serde_json_check::Value = serde_json_check::from_slice(&out).unwrap();
            assert_eq!(
                json["delivered"]["value"]["service"]
                    .as_object()
                    .unwrap()
                    .len(),
                series
            );
            assert_eq!(json.as_object().unwrap().len(), GAUGES + 1);
        } else {
            assert_eq!(sample_lines(&out), series + GAUGES, "{peer}");
        }
    }
}

mod serde_json_check {
    pub use meterstick_benches::json::{Value, from_slice};
}

/// The physical limit of a text export: pre-built sample names and values written into a buffer.
fn formatting_baseline(series: usize) -> (Vec<(Vec<u8>, u64)>, Vec<u8>) {
    let mut lines: Vec<(Vec<u8>, u64)> = (0..series)
        .map(|i| {
            (
                format!("delivered_total{{service=\"smtp_client:source{i}->\"}} ").into_bytes(),
                i as u64,
            )
        })
        .collect();
    lines.extend((0..GAUGES).map(|g| (format!("g{g:02} ").into_bytes(), 7 * (g as u64 + 1))));
    (lines, Vec::with_capacity(series * 48))
}

fn write_baseline(lines: &[(Vec<u8>, u64)], out: &mut Vec<u8>) {
    out.clear();
    let mut buf = itoa_buffer::Buffer::new();
    for (name, value) in lines {
        out.extend_from_slice(name);
        out.extend_from_slice(buf.format(*value).as_bytes());
        out.push(b'\n');
    }
}

mod itoa_buffer {
    pub use meterstick_benches::itoa::Buffer;
}

const EXPORTERS: [&str; 7] = [
    "meterstick",
    "meterstick JSON",
    "prometheus",
    "prometheus-client",
    "metrics",
    "measured",
    "fastmetrics",
];

fn w6(c: &mut Criterion) {
    let exporters = Exporters::new(SERIES_W6);
    let mut g = c.benchmark_group("W6 text export, 10k series + 20 gauges");
    let (lines, mut out) = formatting_baseline(SERIES_W6);
    write_baseline(&lines, &mut out);
    assert_eq!(sample_lines(&out), SERIES_W6 + GAUGES);
    g.bench_function("formatting alone", |b| {
        b.iter(|| write_baseline(&lines, &mut out))
    });
    for peer in EXPORTERS {
        exporters.check(peer, SERIES_W6);
        let mut out = Vec::with_capacity(1 << 20);
        g.bench_function(peer, |b| b.iter(|| exporters.encode(peer, &mut out)));
    }
    g.finish();

    // Meterstick's text against the baseline, its JSON against its text, and its text against
    // the fastest peer, in turns (about 5 ms each).
    let mut g = c.benchmark_group("W6 in turns");
    let turns = Turns::new(32);
    let mut text = Vec::with_capacity(1 << 20);
    let mut other = Vec::with_capacity(1 << 20);
    for (a, b) in [
        ("meterstick", "formatting alone"),
        ("meterstick JSON", "meterstick"),
        ("meterstick", "measured"),
    ] {
        g.bench_function(format!("{a} + {b}"), |bencher| {
            bencher.iter_custom(|n| {
                turns.run(
                    n,
                    |k| (0..k).for_each(|_| exporters.encode(a, &mut text)),
                    |k| match b {
                        "formatting alone" => {
                            (0..k).for_each(|_| write_baseline(&lines, &mut other))
                        }
                        peer => (0..k).for_each(|_| exporters.encode(peer, &mut other)),
                    },
                )
            })
        });
        turns.report("W6", a, b);
    }
    g.finish();
}

/// Writes the protobuf exposition of `peer` into `out`.
fn encode_protobuf(exporters: &Exporters, peer: &str, out: &mut Vec<u8>) {
    out.clear();
    match peer {
        "meterstick" => exporters.meterstick.render_into(Format::Protobuf, out),
        "prometheus" => {
            use prometheus::Encoder;
            prometheus::ProtobufEncoder::new()
                .encode(&exporters.prometheus.gather(), out)
                .unwrap()
        }
        "prometheus-client" => out.extend_from_slice(
            &prometheus_client::encoding::prometheus_protobuf::encode_to_vec(
                &exporters.prometheus_client,
            )
            .unwrap(),
        ),
        other => unreachable!("{other}"),
    }
}

/// The number of `MetricFamily` messages and of their `Metric`s in a length-delimited body,
/// read by walking the varints: every exporter's output is checked the same way.
fn protobuf_shape(body: &[u8]) -> (usize, usize) {
    fn varint(bytes: &[u8], at: &mut usize) -> u64 {
        let mut v = 0;
        for shift in (0..64).step_by(7) {
            let b = bytes[*at];
            *at += 1;
            v |= u64::from(b & 0x7F) << shift;
            if b < 0x80 {
                break;
            }
        }
        v
    }
    let (mut families, mut metrics, mut at) = (0, 0, 0);
    while at < body.len() {
        let len = varint(body, &mut at) as usize;
        let end = at + len;
        families += 1;
        while at < end {
            let key = varint(body, &mut at);
            match key & 7 {
                0 => {
                    varint(body, &mut at);
                }
                1 => at += 8,
                2 => {
                    let n = varint(body, &mut at) as usize;
                    metrics += usize::from(key >> 3 == 4);
                    at += n;
                }
                5 => at += 4,
                other => panic!("wire type {other}"),
            }
        }
    }
    (families, metrics)
}

const PROTOBUF_EXPORTERS: [&str; 3] = ["meterstick", "prometheus", "prometheus-client"];

fn p1(c: &mut Criterion) {
    let exporters = Exporters::new(SERIES_W6);
    let mut g = c.benchmark_group("P1 protobuf export, 10k series + 20 gauges");
    for peer in PROTOBUF_EXPORTERS {
        let mut out = Vec::with_capacity(1 << 20);
        encode_protobuf(&exporters, peer, &mut out);
        assert_eq!(
            protobuf_shape(&out),
            (GAUGES + 1, SERIES_W6 + GAUGES),
            "{peer}"
        );
        g.bench_function(peer, |b| {
            b.iter(|| encode_protobuf(&exporters, peer, &mut out))
        });
    }
    g.finish();

    // Meterstick's protobuf against its text, and against the fastest peer's protobuf.
    let mut g = c.benchmark_group("P1 in turns");
    let turns = Turns::new(32);
    let (mut a_out, mut b_out) = (Vec::with_capacity(1 << 20), Vec::with_capacity(1 << 20));
    for b in ["meterstick text", "prometheus", "prometheus-client"] {
        g.bench_function(format!("meterstick + {b}"), |bencher| {
            bencher.iter_custom(|n| {
                turns.run(
                    n,
                    |k| (0..k).for_each(|_| encode_protobuf(&exporters, "meterstick", &mut a_out)),
                    |k| match b {
                        "meterstick text" => {
                            (0..k).for_each(|_| exporters.encode("meterstick", &mut b_out))
                        }
                        peer => (0..k).for_each(|_| encode_protobuf(&exporters, peer, &mut b_out)),
                    },
                )
            })
        });
        turns.report("P1", "meterstick protobuf", b);
    }
    g.finish();
}

/// 64 observations from 1 ms to about 10 s, evenly spread in logarithm, observed in turn.
fn observations() -> [f64; 64] {
    std::array::from_fn(|i| 0.001 * 10f64.powf(4.0 * i as f64 / 64.0))
}

fn n1(c: &mut Criterion) {
    let values = observations();
    let next = |i: &mut usize| {
        *i = (*i + 1) & 63;
        values[*i]
    };
    let classic = Histogram::default();
    let native = NativeHistogram::default();
    let pc_classic = prometheus_client::metrics::histogram::Histogram::new(
        meterstick::DEFAULT_BUCKETS.iter().copied(),
    );
    let pc_native = prometheus_client::metrics::histogram::Histogram::new_native(
        prometheus_client::metrics::histogram::NativeHistogramConfig::with_schema(3)
            .max_buckets(160),
    );
    let p_classic = prometheus::Histogram::with_opts(prometheus::HistogramOpts::new(
        "classic",
        "classic buckets",
    ))
    .unwrap();

    // The check: the 64 values once into fresh histograms of each kind count 64, and the
    // native one keeps each in a bucket of its own (they are 15% apart, its buckets 9% wide).
    let (once, once_native) = (Histogram::default(), NativeHistogram::default());
    for v in values {
        once.observe(v);
        once_native.observe(v);
    }
    let snapshot = once_native.snapshot();
    assert_eq!((once.count(), snapshot.count()), (64, 64));
    assert_eq!((snapshot.schema(), snapshot.positive().len()), (3, 64));

    let mut g = c.benchmark_group("N1 histogram observe, 1 thread");
    let mut i = 0;
    g.bench_function("meterstick classic", |b| {
        b.iter(|| black_box(&classic).observe(next(&mut i)))
    });
    g.bench_function("meterstick native", |b| {
        b.iter(|| black_box(&native).observe(next(&mut i)))
    });
    g.bench_function("prometheus classic", |b| {
        b.iter(|| black_box(&p_classic).observe(next(&mut i)))
    });
    g.bench_function("prometheus-client classic", |b| {
        b.iter(|| black_box(&pc_classic).observe(next(&mut i)))
    });
    g.bench_function("prometheus-client native", |b| {
        b.iter(|| black_box(&pc_native).observe(next(&mut i)))
    });
    g.finish();

    let mut g = c.benchmark_group("N1 in turns");
    let turns = Turns::new(1000);
    let (mut i, mut j) = (0, 32);
    for b in ["meterstick classic", "prometheus-client native"] {
        g.bench_function(format!("meterstick native + {b}"), |bencher| {
            bencher.iter_custom(|n| {
                turns.run(
                    n,
                    |k| (0..k).for_each(|_| black_box(&native).observe(next(&mut i))),
                    |k| match b {
                        "meterstick classic" => {
                            (0..k).for_each(|_| black_box(&classic).observe(next(&mut j)))
                        }
                        _ => (0..k).for_each(|_| black_box(&pc_native).observe(next(&mut j))),
                    },
                )
            })
        });
        turns.report("N1", "meterstick native", b);
    }
    g.finish();
}

/// The samples of W6 as one remote-write request (`WriteRequest`, snappy-compressed, as
/// `RemoteWrite` sends it), against meterstick's text export of the same registry; and a
/// Pushgateway push of it to a sink in the process, against the peers' pushes of the same
/// samples and against the bare HTTP request of meterstick's text body.
fn r1(c: &mut Criterion) {
    let exporters = Exporters::new(SERIES_W6);
    let registry = &exporters.meterstick;
    let labels = [("job".to_owned(), "bench".to_owned())];
    let encode = |raw: &mut Vec<u8>| {
        raw.clear();
        registry.write_remote_write(&labels, 1_700_000_000_000, raw);
    };
    let mut raw = Vec::with_capacity(1 << 20);
    encode(&mut raw);
    let decoded = snap::raw::Decoder::new()
        .decompress_vec(&snap::raw::Encoder::new().compress_vec(&raw).unwrap())
        .unwrap();
    assert_eq!(decoded, raw);
    // One `TimeSeries` per sample: a field key (10) at the start of each.
    let (_, series) = protobuf_shape_flat(&raw);
    assert_eq!(series, SERIES_W6 + GAUGES);

    let mut g = c.benchmark_group("R1 remote-write request of W6");
    let mut text = Vec::with_capacity(1 << 20);
    g.bench_function("meterstick text export", |b| {
        b.iter(|| exporters.encode("meterstick", &mut text))
    });
    g.bench_function("WriteRequest", |b| b.iter(|| encode(&mut raw)));
    let mut compressed = Vec::with_capacity(1 << 20);
    let mut snappy = snap::raw::Encoder::new();
    g.bench_function("WriteRequest + snappy", |b| {
        b.iter(|| {
            encode(&mut raw);
            compressed.resize(snap::raw::max_compress_len(raw.len()), 0);
            let n = snappy.compress(&raw, &mut compressed).unwrap();
            compressed.truncate(n);
        })
    });
    g.finish();

    let mut g = c.benchmark_group("R1 in turns");
    let turns = Turns::new(32);
    for with_snappy in [false, true] {
        let b_name = if with_snappy {
            "request + snappy"
        } else {
            "request"
        };
        g.bench_function(format!("{b_name} + text"), |bencher| {
            bencher.iter_custom(|n| {
                turns.run(
                    n,
                    |k| {
                        (0..k).for_each(|_| {
                            encode(&mut raw);
                            if with_snappy {
                                compressed.resize(snap::raw::max_compress_len(raw.len()), 0);
                                let n = snappy.compress(&raw, &mut compressed).unwrap();
                                compressed.truncate(n);
                            }
                        })
                    },
                    |k| (0..k).for_each(|_| exporters.encode("meterstick", &mut text)),
                )
            })
        });
        turns.report("R1", b_name, "text");
    }
    g.finish();

    // The Pushgateway: one push of W6 to a sink that takes any body and answers 200, and
    // keeps the size of the last body and its path, to check that each push arrived whole.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let last = Arc::new(std::sync::Mutex::new((String::new(), 0usize)));
    let sink = runtime.block_on(async {
        let last = last.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, body: axum::body::Bytes| async move {
                *last.lock().unwrap() = (uri.path().to_owned(), body.len());
                ""
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    });
    let arrived = |what: &str| {
        let (path, len) = last.lock().unwrap().clone();
        assert_eq!(path, "/metrics/job/bench", "{what}");
        // Each sample takes more than 20 bytes in text and in protobuf.
        assert!(len > 20 * SERIES_W6, "{what}: {len} bytes");
        *last.lock().unwrap() = (String::new(), 0);
    };
    let gateway = meterstick_http::push::Pushgateway::new(&sink, "bench");
    let client = reqwest::Client::new();
    let url = format!("{sink}/metrics/job/bench");
    let put = |body: Vec<u8>| {
        runtime
            .block_on(client.put(&url).body(body).send())
            .unwrap()
            .error_for_status()
            .unwrap();
    };
    // `prometheus`'s push: blocking, its protobuf body, its own client.
    let prometheus_push = || {
        let grouping = std::collections::HashMap::new();
        let families = exporters.prometheus.gather();
        prometheus::push_metrics("bench", grouping, &sink, families, None).unwrap();
    };
    // `metrics-exporter-prometheus` pushes only from its own timer loop; what each of its pushes
    // does is a render of its handle, then a `PUT` of the text.
    let mut metrics_text = Vec::with_capacity(1 << 20);
    let mut metrics_push = || {
        exporters.encode("metrics", &mut metrics_text);
        put(metrics_text.clone());
    };
    runtime.block_on(gateway.push(registry)).unwrap();
    arrived("meterstick");
    prometheus_push();
    arrived("prometheus");
    metrics_push();
    arrived("metrics-exporter-prometheus");
    let mut g = c.benchmark_group("R2 Pushgateway push of W6");
    g.bench_function("meterstick Pushgateway::push", |b| {
        b.iter(|| runtime.block_on(gateway.push(registry)).unwrap())
    });
    g.bench_function("prometheus push_metrics", |b| b.iter(prometheus_push));
    g.bench_function("metrics-exporter-prometheus render + PUT", |b| {
        b.iter(&mut metrics_push)
    });
    g.bench_function("text export, then a bare PUT of it", |b| {
        b.iter(|| {
            exporters.encode("meterstick", &mut text);
            put(text.clone());
        })
    });
    g.finish();
}

/// The number of top-level fields of a message body, and how many of them are field 1.
fn protobuf_shape_flat(body: &[u8]) -> (usize, usize) {
    let mut at = 0;
    let (mut fields, mut ones) = (0, 0);
    while at < body.len() {
        let key = body[at];
        at += 1;
        let mut len = 0usize;
        for shift in (0..64).step_by(7) {
            let b = body[at];
            at += 1;
            len |= usize::from(b & 0x7F) << shift;
            if b < 0x80 {
                break;
            }
        }
        at += len;
        fields += 1;
        ones += usize::from(key == 0x0A);
    }
    (fields, ones)
}

const SERIES_W8: usize = 1_000_000;

fn w8(c: &mut Criterion) {
    let exporters = Exporters::new(SERIES_W8);
    let mut g = c.benchmark_group("W8 export of 1M series");
    g.sample_size(10);
    let (lines, mut out) = formatting_baseline(SERIES_W8);
    g.bench_function("formatting alone", |b| {
        b.iter(|| write_baseline(&lines, &mut out))
    });
    drop((lines, out));
    for peer in ["meterstick", "meterstick JSON"] {
        exporters.check(peer, SERIES_W8);
        // Into a sink: the output is not kept, as a server streaming it would not keep it.
        g.bench_function(peer, |b| {
            b.iter(|| match peer {
                "meterstick" => exporters
                    .meterstick
                    .write_prometheus(std::io::sink())
                    .unwrap(),
                _ => exporters.meterstick.write_json(std::io::sink()).unwrap(),
            })
        });
    }
    for peer in [
        "prometheus",
        "prometheus-client",
        "metrics",
        "measured",
        "fastmetrics",
    ] {
        exporters.check(peer, SERIES_W8);
        let mut out = Vec::with_capacity(64 << 20);
        g.bench_function(peer, |b| {
            b.iter(|| {
                exporters.encode(peer, &mut out);
                std::io::sink().write_all(&out).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = hot_path;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = w1_w2, float_gauge, w3_w4, w5
}
criterion_group! {
    name = export;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    targets = w6, p1, r1, w8
}
criterion_group! {
    name = histograms;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = n1
}
criterion_main!(hot_path, histograms, export);
