//! The process metrics, checked against what `/proc/self` says in the same moment.

#![cfg(all(target_os = "linux", feature = "process"))]

use meterstick::Registry;
use meterstick::process::ProcessMetrics;

fn value(text: &str, name: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.split(' ').next() == Some(name))
        .unwrap_or_else(|| panic!("no sample of {name}:\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

fn status(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn process_metrics_agree_with_proc_self() {
    let registry = Registry::new();
    registry.register(ProcessMetrics::new()).unwrap();
    // Some threads and files of our own, so that the numbers are not those of an idle process.
    let files: Vec<_> = (0..20)
        .map(|_| std::fs::File::open("/proc/self/status").unwrap())
        .collect();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let stop_rx = std::sync::Arc::new(std::sync::Mutex::new(stop_rx));
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let rx = stop_rx.clone();
            std::thread::spawn(move || {
                let _ = rx.lock().map(|rx| rx.recv());
            })
        })
        .collect();
    // Some CPU time.
    let mut x = 0u64;
    for i in 0..20_000_000u64 {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    std::hint::black_box(x);

    let text = registry.to_prometheus();
    let rss_kib = status("VmRSS");
    let threads_now = status("Threads");
    let fds = std::fs::read_dir("/proc/self/fd").unwrap().count() as f64;

    let resident = value(&text, "process_resident_memory_bytes");
    assert!(
        resident > rss_kib * 1024.0 / 2.0 && resident < rss_kib * 1024.0 * 2.0,
        "resident {resident} B against VmRSS {rss_kib} KiB"
    );
    let virt = value(&text, "process_virtual_memory_bytes");
    assert!(virt >= resident, "{virt} < {resident}");
    assert!(virt >= status("VmSize") * 1024.0 / 2.0);
    // Reading the directory opens one more descriptor than the export saw, or one fewer.
    let open = value(&text, "process_open_fds");
    assert!(
        (open - fds).abs() <= 2.0 && open >= 20.0,
        "{open} against {fds}"
    );
    let max = value(&text, "process_max_fds");
    assert!(max >= open, "{max}");
    let threads_seen = value(&text, "process_threads");
    assert!(
        (threads_seen - threads_now).abs() <= 1.0 && threads_seen >= 4.0,
        "{threads_seen} against {threads_now}"
    );
    let cpu = value(&text, "process_cpu_seconds_total");
    assert!(cpu > 0.0 && cpu < 3600.0, "{cpu}");
    let start = value(&text, "process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(
        start <= now + 1.0 && start > now - 3600.0,
        "{start} against {now}"
    );

    // The CPU counter goes up with work, never down.
    for i in 0..50_000_000u64 {
        x = x.wrapping_mul(31).wrapping_add(i);
    }
    std::hint::black_box(x);
    let later = value(&registry.to_prometheus(), "process_cpu_seconds_total");
    assert!(later > cpu, "{later} after {cpu}");

    // OpenMetrics: units where the name has one.
    let om = registry.to_openmetrics();
    assert!(om.contains("# UNIT process_cpu_seconds seconds\n"), "{om}");
    assert!(om.contains("# UNIT process_resident_memory_bytes bytes\n"));
    drop(stop_tx);
    threads.into_iter().for_each(|t| t.join().unwrap());
    drop(files);
}
