//! Declares the metrics of KumoMTA's `/metrics.json` page, fills them with the page's values and
//! prints the registry as pretty JSON (or, with `--format prometheus|openmetrics`, as text).

mod metrics;

use meterstick::Registry;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut format = String::from("json");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--format" => format = args.next().ok_or("--format needs a value")?,
            other => return Err(format!("unknown argument `{other}`; try --format").into()),
        }
    }

    let registry = Registry::new();
    let metrics = registry.register(metrics::KumodMetrics::new())?;
    metrics::fill_with_seed_values(&metrics);

    match format.as_str() {
        "json" => println!("{}", registry.to_json_pretty()),
        "prometheus" => print!("{}", registry.to_prometheus()),
        "openmetrics" => print!("{}", registry.to_openmetrics()),
        other => {
            return Err(
                format!("unknown format `{other}`: json, prometheus or openmetrics").into(),
            );
        }
    }
    Ok(())
}
