//! Arbitrary label values and help texts through every encoder: the JSON parses with serde_json
//! and holds exactly the values given; the text formats keep one line per sample.
#![no_main]

use libfuzzer_sys::fuzz_target;
use meterstick::__private::heads;
use meterstick::{Counter, Descriptor, Family, MetricGroup, MetricKind, Registry, Visitor};

struct Dynamic {
    descriptor: &'static Descriptor,
    family: Family<Counter, (String, String)>,
}

impl MetricGroup for Dynamic {
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
        visitor.visit_metric(self.descriptor, &self.family);
    }
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\u{1f}');
    let help = parts.next().unwrap_or_default().trim().to_owned();
    let values: Vec<&str> = parts.collect();
    let h = heads("fuzzed", &help, MetricKind::Counter);
    let descriptor: &'static Descriptor = Box::leak(Box::new(Descriptor::__from_derive(
        "fuzzed",
        leak(help.clone()),
        MetricKind::Counter,
        &["a", "b"],
        None,
        leak(h.json),
        leak(h.prometheus),
        leak(h.openmetrics),
        leak(h.openmetrics_name),
    )));
    let group = Dynamic {
        descriptor,
        family: Family::new(),
    };
    for pair in values.chunks(2) {
        let b = pair.get(1).copied().unwrap_or_default();
        group.family.inc((pair[0], b));
    }
    let registry = Registry::new();
    let group = registry.register(group).expect("one group");

    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).expect("JSON parses");
    assert_eq!(json["fuzzed"]["help"].as_str(), Some(help.as_str()));
    let series = json["fuzzed"]["value"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert_eq!(series, group.family.len());
    if let Some(entries) = json["fuzzed"]["value"].as_array() {
        for e in entries {
            let (a, b) = (e["a"].as_str().unwrap(), e["b"].as_str().unwrap());
            assert_eq!(e["@"].as_f64(), group.family.get((a, b)).map(|n| n as f64));
        }
    }
    // Escaping leaves no raw newline inside a line: one line per sample, plus HELP and TYPE.
    assert_eq!(registry.to_prometheus().lines().count(), 2 + series);
    assert_eq!(registry.to_openmetrics().lines().count(), 3 + series);
});
