//! Soak: series churn through a pruning family for two minutes, alone in its process so that its
//! resident memory is its own.

use std::time::{Duration, Instant};

use meterstick::{Family, Gauge, Metrics, Registry};

mod support;

#[derive(Metrics)]
struct Churn {
    /// messages per queue, while the queue exists
    #[metric(label = "queue", prune)]
    queues: Family<Gauge>,
}

#[test]
#[ignore = "soak test: series churn through pruning for 120 seconds; run by .ci/run"]
fn memory_returns_to_its_plateau_under_series_churn() {
    const LIVE: usize = 5_000;
    let registry = Registry::new();
    let m = registry.register(Churn::new()).unwrap();
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut next = 0u64;
    let mut live: std::collections::VecDeque<_> = std::collections::VecDeque::new();
    while started.elapsed() < Duration::from_secs(120) {
        // Each round: a thousand queues appear and the oldest thousand go.
        for _ in 0..1_000 {
            let handle = m.queues.with(&format!("queue-{next}.example.com"));
            handle.set(next as i64);
            live.push_back(handle);
            next += 1;
        }
        while live.len() > LIVE {
            live.pop_front();
        }
        let mut sink = std::io::sink();
        registry.write_prometheus(&mut sink).unwrap();
        registry.write_json(&mut sink).unwrap();
        assert_eq!(m.queues.len(), LIVE.min(next as usize));
        samples.push(support::proc_status_kib("VmRSS"));
    }
    let quarter = samples[samples.len() / 4];
    let last = *samples.last().unwrap();
    println!(
        "{next} queues created, {LIVE} live at a time; resident memory {} MiB after a quarter, \
         {} MiB at the end, {} rounds",
        quarter / 1024,
        last / 1024,
        samples.len()
    );
    assert!(
        last <= quarter + quarter / 5 + 16 * 1024,
        "resident memory grew from {quarter} KiB to {last} KiB"
    );
}
