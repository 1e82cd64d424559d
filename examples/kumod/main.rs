//! Declares the metrics of KumoMTA's `/metrics.json` page and fills them with the page's values;
//! prints them as pretty JSON (or `--format prometheus|openmetrics`, or `--format markdown` for
//! the reference page of the metrics), or serves them over HTTP with
//! `--serve ADDR [--trusted CIDR]...` while a little simulated traffic moves the values; or
//! pushes them: `--pushgateway URL` once, as a batch job would, or `--remote-write URL` every
//! 5 s while the traffic moves them, until Ctrl-C.

mod metrics;

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use meterstick::Registry;
use meterstick::http::TrustedHosts;
use meterstick::push::{Pushgateway, RemoteWrite};

const USAGE: &str = "usage: kumod [--format json|prometheus|openmetrics|markdown] \
                     [--serve ADDR [--trusted IP_OR_CIDR]...] [--pushgateway URL] \
                     [--remote-write URL]";

fn main() -> Result<(), Box<dyn Error>> {
    let mut format = String::from("json");
    let mut serve = None;
    let mut trusted = Vec::new();
    let (mut pushgateway, mut remote_write) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value; {USAGE}"))
        };
        match arg.as_str() {
            "--format" => format = value()?,
            "--serve" => serve = Some(value()?),
            "--trusted" => trusted.push(value()?),
            "--pushgateway" => pushgateway = Some(value()?),
            "--remote-write" => remote_write = Some(value()?),
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`; {USAGE}").into()),
        }
    }

    let registry = Arc::new(Registry::new());
    let metrics = registry.register(metrics::KumodMetrics::new())?;
    metrics::fill_with_seed_values(&metrics);

    if let Some(url) = pushgateway {
        // A batch job's way: push what it counted once, at its end.
        let gateway = Pushgateway::new(url, "kumod").grouping([("instance", "example")]);
        tokio::runtime::Runtime::new()?.block_on(gateway.push(&registry))?;
        eprintln!("pushed to the Pushgateway as job kumod, instance example");
        return Ok(());
    }
    if let Some(url) = remote_write {
        std::thread::spawn(move || simulate_traffic(&metrics));
        return push_periodically(registry, url);
    }

    if let Some(addr) = serve {
        let trusted = if trusted.is_empty() {
            TrustedHosts::default()
        } else {
            TrustedHosts::new(&trusted)?
        };
        std::thread::spawn(move || simulate_traffic(&metrics));
        return serve_http(registry, &addr, trusted);
    }

    match format.as_str() {
        "json" => println!("{}", registry.to_json_pretty()),
        "prometheus" => print!("{}", registry.to_prometheus()),
        "openmetrics" => print!("{}", registry.to_openmetrics()),
        "markdown" => print!("{}", registry.describe_markdown()),
        other => return Err(format!("unknown format `{other}`; {USAGE}").into()),
    }
    Ok(())
}

fn serve_http(
    registry: Arc<Registry>,
    addr: &str,
    trusted: TrustedHosts,
) -> Result<(), Box<dyn Error>> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        eprintln!(
            "serving http://{}/metrics and /metrics.json to {trusted}",
            listener.local_addr()?
        );
        meterstick::http::serve_listener(listener, registry, trusted).await
    })?;
    Ok(())
}

/// Pushes the registry by remote write every 5 s until Ctrl-C, then a last time.
fn push_periodically(registry: Arc<Registry>, url: String) -> Result<(), Box<dyn Error>> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let pusher = RemoteWrite::new(url)
            .interval(Duration::from_secs(5))
            .labels([("job", "kumod"), ("instance", "example")])
            .start(registry)?;
        eprintln!("pushing every 5 s; Ctrl-C pushes a last time and stops");
        tokio::signal::ctrl_c().await?;
        pusher.shutdown().await?;
        Ok::<_, Box<dyn Error>>(())
    })
}

/// Moves the values a little every 100 ms, as a running MTA would.
fn simulate_traffic(m: &metrics::KumodMetrics) {
    const SERVICES: [&str; 3] = ["esmtp_listener", "smtp_client", "smtp_client:source2->"];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let delivered: Vec<_> = SERVICES[1..]
        .iter()
        .map(|s| m.total_messages_delivered.with(s))
        .collect();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        for handle in &delivered {
            handle.inc_by(random(5));
        }
        let service = SERVICES[random(3) as usize];
        m.connection_count.set(service, random(20) as i64);
        m.total_connection_count
            .inc(SERVICES[1 + random(2) as usize]);
        if random(10) == 0 {
            m.total_messages_transfail.inc("smtp_client");
        }
        m.ready_count
            .set("smtp_client:source1->", 40 + random(10) as i64);
        m.memory_usage.set(185_683_968 + random(1 << 20) as i64);
    }
}
