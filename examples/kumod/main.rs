//! Declares the metrics of KumoMTA's `/metrics.json` page, fills them with the page's values and
//! prints the registry as pretty JSON.

mod metrics;

use meterstick::Registry;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    let metrics = registry.register(metrics::KumodMetrics::new())?;
    metrics::fill_with_seed_values(&metrics);
    println!("{}", registry.to_json_pretty());
    Ok(())
}
