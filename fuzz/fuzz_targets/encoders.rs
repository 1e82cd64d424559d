//! Arbitrary label values and help texts through every encoder: the JSON parses with serde_json
//! and holds exactly the values given; the text formats keep one line per sample; the protobuf
//! messages and the remote-write request decode and hold the same values and labels, in the
//! same order as the JSON.
//!
//! Nothing is leaked per input, so the target runs under AddressSanitizer's leak check and its
//! memory stays flat: the family goes through a registry under one static descriptor, and the
//! fuzzed help text through a gauge registered by name, whose descriptor the registry owns.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/proto.rs"]
mod proto;
use meterstick::{Counter, Descriptor, Family, MetricGroup, MetricKind, Registry, Visitor};

const HELP: &str = "fuzzed label values";

static DESCRIPTOR: Descriptor =
    Descriptor::new("fuzzed", HELP, MetricKind::Counter, &["a", "b"], None);

struct Dynamic {
    family: Family<Counter, (String, String)>,
}

impl MetricGroup for Dynamic {
    fn visit<'a>(&'a self, visitor: &mut dyn Visitor<'a>) {
        visitor.visit_metric(&DESCRIPTOR, &self.family);
    }
}

/// The help text as a `# HELP` line escapes it, read back.
fn unescape_help(escaped: &str) -> String {
    let mut out = String::new();
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => panic!("a # HELP line ends in a lone backslash: {escaped:?}"),
        }
    }
    out
}

fn check_help(help: &str) {
    let registry = Registry::new();
    if registry.gauge("fuzzed_help", help).is_err() {
        // Only an empty help text is refused; white space at either end is trimmed.
        assert!(help.trim().is_empty(), "refused: {help:?}");
        return;
    }
    let help = help.trim();
    let families = proto::decode_delimited(&registry.to_protobuf()).expect("protobuf decodes");
    assert_eq!(families[0].help.as_deref(), Some(help));
    let json: serde_json::Value =
        serde_json::from_str(&registry.to_json()).expect("the JSON document parses");
    assert_eq!(json["fuzzed_help"]["help"].as_str(), Some(help));
    for text in [registry.to_prometheus(), registry.to_openmetrics()] {
        // Split at newlines alone: a carriage return is text of the help, not a line end.
        let lines: Vec<&str> = text.strip_suffix('\n').unwrap_or(&text).split('\n').collect();
        assert!(lines.len() == 3 || lines.len() == 4, "HELP, TYPE, the sample: {text:?}");
        let escaped = lines[0]
            .strip_prefix("# HELP fuzzed_help ")
            .expect("a HELP line");
        assert_eq!(unescape_help(escaped), help);
        assert_eq!(lines[1], "# TYPE fuzzed_help gauge");
        assert_eq!(lines[2], "fuzzed_help 0");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\u{1f}');
    check_help(parts.next().unwrap_or_default());
    let values: Vec<&str> = parts.collect();
    let group = Dynamic {
        family: Family::new(),
    };
    for pair in values.chunks(2) {
        let b = pair.get(1).copied().unwrap_or_default();
        group.family.inc((pair[0], b));
    }
    let registry = Registry::new();
    let group = registry.register(group).expect("one group");

    let json: serde_json::Value = serde_json::from_str(&registry.to_json()).expect("JSON parses");
    assert_eq!(json["fuzzed"]["help"].as_str(), Some(HELP));
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
    let families = proto::decode_delimited(&registry.to_protobuf()).expect("protobuf decodes");
    let metrics = families.first().map(|f| f.metric.as_slice()).unwrap_or_default();
    assert_eq!(metrics.len(), series);
    if let Some(entries) = json["fuzzed"]["value"].as_array() {
        for (metric, e) in metrics.iter().zip(entries) {
            let (a, b) = (e["a"].as_str().unwrap(), e["b"].as_str().unwrap());
            assert_eq!(metric.labels(), [("a", a), ("b", b)]);
            let value = metric.counter.as_ref().and_then(|c| c.value);
            assert_eq!(value, e["@"].as_f64());
        }
    }
    // The remote-write request decodes, one series per sample in the same order, with the
    // pusher's label (a fuzzed value too), labels sorted by name and empty ones left out.
    let pushed = values.first().copied().unwrap_or_default();
    let mut body = Vec::new();
    registry.write_remote_write(&[("instance".into(), pushed.into())], 7, &mut body);
    let request = <proto::WriteRequest as prost::Message>::decode(&body[..])
        .expect("the remote-write request decodes");
    assert_eq!(request.timeseries.len(), series);
    if let Some(entries) = json["fuzzed"]["value"].as_array() {
        for (timeseries, e) in request.timeseries.iter().zip(entries) {
            let (a, b) = (e["a"].as_str().unwrap(), e["b"].as_str().unwrap());
            let mut want = vec![
                ("__name__", "fuzzed_total"),
                ("a", a),
                ("b", b),
                ("instance", pushed),
            ];
            want.retain(|(_, v)| !v.is_empty());
            let labels: Vec<(&str, &str)> = timeseries
                .labels
                .iter()
                .map(|l| (l.name.as_str(), l.value.as_str()))
                .collect();
            assert_eq!(labels, want);
            assert_eq!(timeseries.samples.len(), 1);
            assert_eq!(Some(timeseries.samples[0].value), e["@"].as_f64());
            assert_eq!(timeseries.samples[0].timestamp, 7);
        }
    }
    // Escaping leaves no raw newline inside a line: one line per sample, plus HELP and TYPE.
    assert_eq!(registry.to_prometheus().lines().count(), 2 + series);
    assert_eq!(registry.to_openmetrics().lines().count(), 3 + series);
});
