//! Runs the real conformance tools: `promtool` (Debian package `prometheus`) and the parsers of
//! `prometheus_client` (PyPI). A missing tool fails the test with the command that installs it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

pub mod proto;
pub mod servers;

/// The Python interpreter with `prometheus_client`: `$METERSTICK_PYTHON`, else `python3`.
pub fn python() -> PathBuf {
    let python = std::env::var_os("METERSTICK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("python3"));
    let ok = Command::new(&python)
        .args(["-c", "import prometheus_client"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "{} cannot import prometheus_client; install it with \
         `python3 -m venv target/conformance-venv && \
         target/conformance-venv/bin/pip install prometheus_client` and run with \
         METERSTICK_PYTHON=target/conformance-venv/bin/python (as .ci/run does)",
        python.display()
    );
    python
}

/// One sample as a parser saw it.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    /// The value, with non-finite values spelled `NaN`, `+Inf`, `-Inf`.
    pub value: String,
}

/// One family as a parser saw it.
#[derive(Clone, Debug)]
pub struct Family {
    pub name: String,
    pub kind: String,
    pub help: String,
    /// The unit OpenMetrics declared (empty without one).
    pub unit: String,
    pub samples: Vec<Sample>,
    /// The exemplars OpenMetrics gave: `{"sample", "labels", "exemplar": {"labels", "value",
    /// "timestamp"}}` each.
    pub exemplars: Vec<Value>,
}

/// Parses each `(format, text)` with prometheus_client; `Err` holds the parser's complaint.
pub fn parse_with_python(inputs: &[(&str, &str)]) -> Vec<Result<Vec<Family>, String>> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/parse_exposition.py"
    );
    let request: Vec<Value> = inputs
        .iter()
        .map(|(format, text)| serde_json::json!({"format": format, "text": text}))
        .collect();
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&request).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    results
        .into_iter()
        .map(|r| match r.get("error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_owned()),
            None => Ok(r["families"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| Family {
                    name: f["name"].as_str().unwrap().to_owned(),
                    kind: f["type"].as_str().unwrap().to_owned(),
                    help: f["help"].as_str().unwrap().to_owned(),
                    unit: f["unit"].as_str().unwrap_or_default().to_owned(),
                    exemplars: f["exemplars"].as_array().cloned().unwrap_or_default(),
                    samples: f["samples"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| Sample {
                            name: s["name"].as_str().unwrap().to_owned(),
                            labels: s["labels"]
                                .as_object()
                                .unwrap()
                                .iter()
                                .map(|(k, v)| (k.clone(), normalize_label(k, v)))
                                .collect(),
                            value: number_text(&s["value"]),
                        })
                        .collect(),
                })
                .collect()),
        })
        .collect()
}

/// The `le` label as a number (so `1` and `1.0` compare equal); other labels as they are.
fn normalize_label(key: &str, value: &Value) -> String {
    let text = value.as_str().unwrap_or_default();
    if key == "le" {
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => return number_text(&Value::from(f)),
            Ok(f) if f > 0.0 => return "+Inf".to_owned(),
            _ => {}
        }
    }
    text.to_owned()
}

/// A JSON number or non-finite string, as comparable text.
pub fn number_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            let f = n.as_f64().unwrap();
            if f.is_infinite() {
                if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
            } else {
                format!("{f:?}")
            }
        }
        Value::Null => "null".to_owned(),
        other => panic!("not a number: {other}"),
    }
}

/// Runs `promtool check metrics` on `text`: its exit code and what it printed.
pub fn promtool_check(text: &str) -> (i32, String) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run promtool ({e}); install it with `apt-get install prometheus` \
                 (Debian), as .ci/run does"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), printed)
}

/// Asserts that promtool found no parse error; lint findings (exit code 3) are allowed.
pub fn assert_promtool_parses(text: &str) {
    let (code, printed) = promtool_check(text);
    assert!(
        (code == 0 || code == 3) && !printed.contains("error"),
        "promtool rejected the exposition (exit {code}): {printed}\n{text}"
    );
}

/// The name prometheus_client's parsers give the samples of a metric: a counter's with `_total`
/// (the text parser adds it where it is missing), an info metric's with `_info`.
pub fn parser_name(name: &str, kind: &str) -> String {
    match kind {
        "counter" => format!("{}_total", name.strip_suffix("_total").unwrap_or(name)),
        "info" => format!("{}_info", name.strip_suffix("_info").unwrap_or(name)),
        _ => name.to_owned(),
    }
}

/// The name a registry's text formats give the samples of each metric, by JSON name.
pub fn sample_names(registry: &meterstick::Registry) -> BTreeMap<String, String> {
    registry
        .describe()
        .iter()
        .map(|d| (d.name().to_owned(), d.sample_name().to_owned()))
        .collect()
}

/// The samples that the text formats must show for a `/metrics.json` document, each metric's
/// named by `sample_name(json name, type)`.
pub fn samples_from_json(json: &str, sample_name: impl Fn(&str, &str) -> String) -> Vec<Sample> {
    let doc: Value = serde_json::from_str(json).unwrap();
    let mut out = Vec::new();
    for (name, member) in doc.as_object().unwrap() {
        let kind = member["type"].as_str().unwrap();
        let sample_name = sample_name(name, kind);
        let one = Value::from(1.0);
        let series: Vec<(BTreeMap<String, String>, &Value)> = match &member["value"] {
            Value::Null => Vec::new(),
            Value::Object(labels) if kind == "info" => vec![(
                labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect(),
                &one,
            )],
            Value::Array(entries) => entries
                .iter()
                .map(|e| {
                    let labels = e
                        .as_object()
                        .unwrap()
                        .iter()
                        .filter(|(k, _)| *k != "@")
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                        .collect();
                    (labels, &e["@"])
                })
                .collect(),
            Value::Object(o) if kind != "histogram" || !o.contains_key("bucket") => {
                let (key, values) = o.iter().next().unwrap();
                values
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(v, n)| (BTreeMap::from([(key.clone(), v.clone())]), n))
                    .collect()
            }
            single => vec![(BTreeMap::new(), single)],
        };
        for (labels, value) in series {
            if kind != "histogram" {
                out.push(Sample {
                    name: sample_name.clone(),
                    labels,
                    value: number_text(value),
                });
                continue;
            }
            for bucket in value["bucket"].as_array().unwrap() {
                let mut labels = labels.clone();
                labels.insert("le".into(), number_text(&bucket[0]));
                out.push(Sample {
                    name: format!("{name}_bucket"),
                    labels,
                    value: number_text(&Value::from(bucket[1].as_f64().unwrap())),
                });
            }
            let count = number_text(&Value::from(value["count"].as_f64().unwrap()));
            let mut inf = labels.clone();
            inf.insert("le".into(), "+Inf".into());
            out.push(Sample {
                name: format!("{name}_bucket"),
                labels: inf,
                value: count.clone(),
            });
            out.push(Sample {
                name: format!("{name}_count"),
                labels: labels.clone(),
                value: count,
            });
            out.push(Sample {
                name: format!("{name}_sum"),
                labels,
                value: number_text(&value["sum"]),
            });
        }
    }
    out
}

/// All samples of some parsed families, in a stable order.
pub fn all_samples(families: &[Family]) -> Vec<Sample> {
    let mut samples: Vec<Sample> = families.iter().flat_map(|f| f.samples.clone()).collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples
}

/// Sorts samples the way [`all_samples`] does.
pub fn sorted(mut samples: Vec<Sample>) -> Vec<Sample> {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples
}

/// The body of a GET of `url`, as text.
pub async fn fetch_text(client: &reqwest::Client, url: &str) -> String {
    client
        .get(url)
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("body")
}

/// The body of a GET of `url`, parsed as JSON.
pub async fn fetch_json(client: &reqwest::Client, url: &str) -> Value {
    serde_json::from_str(&fetch_text(client, url).await).expect("the body is JSON")
}

/// A size field of `/proc/self/status` (`VmRSS`, `VmHWM`), in KiB; 0 where there is none.
pub fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| {
                    l.strip_prefix(field)
                        .is_some_and(|rest| rest.starts_with(':'))
                })
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Where Prometheus's `metrics.proto` is: `$METERSTICK_METRICS_PROTO`, else where Debian's
/// `golang-github-prometheus-client-model-dev` puts it.
fn metrics_proto() -> PathBuf {
    let proto = std::env::var_os("METERSTICK_METRICS_PROTO")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(
                "/usr/share/gocode/src/github.com/prometheus/client_model/io/prometheus/client/\
                 metrics.proto",
            )
        });
    assert!(
        proto.exists(),
        "{} is missing: install Prometheus's metrics.proto with `apt-get install \
         golang-github-prometheus-client-model-dev protobuf-compiler` (as .ci/run does), or \
         point METERSTICK_METRICS_PROTO at a copy",
        proto.display()
    );
    proto
}

/// Decodes a protobuf exposition independently of this project: `protoc` compiles Prometheus's
/// own `metrics.proto`, and the `protobuf` package (PyPI) reads the body with the message types
/// built from it. One JSON object per family, fields named as in the `.proto` file.
pub fn decode_with_metrics_proto(body: &[u8]) -> Vec<Value> {
    let proto = metrics_proto();
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("meterstick-protobuf-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let descriptors = dir.join("metrics.desc");
    let include = proto
        .ancestors()
        .nth(4)
        .expect("the client_model directory");
    let protoc = Command::new("protoc")
        .arg("--include_imports")
        .arg(format!("--descriptor_set_out={}", descriptors.display()))
        .arg("-I")
        .arg(include)
        .arg(proto.strip_prefix(include).unwrap())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run protoc ({e}): install it with `apt-get install protobuf-compiler`")
        });
    assert!(
        protoc.status.success(),
        "protoc failed: {}",
        String::from_utf8_lossy(&protoc.stderr)
    );
    let body_path = dir.join("body.bin");
    std::fs::write(&body_path, body).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/decode_protobuf.py"
    );
    let out = Command::new(python())
        .arg(script)
        .arg(&descriptors)
        .arg(&body_path)
        .output()
        .expect("start python");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "the protobuf decoder failed (is the `protobuf` package installed? \
         `target/conformance-venv/bin/pip install protobuf`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the decoder prints JSON")
}

/// A number as the protobuf JSON mapping gives it (64-bit integers as strings, non-finite
/// doubles as `"NaN"`, `"Infinity"`, `"-Infinity"`), as comparable text.
fn proto_number(v: &Value) -> String {
    match v {
        Value::String(s) => match s.as_str() {
            "Infinity" => "+Inf".to_owned(),
            "-Infinity" => "-Inf".to_owned(),
            "NaN" => "NaN".to_owned(),
            other => number_text(&Value::from(other.parse::<f64>().expect("a number"))),
        },
        Value::Null => number_text(&Value::from(0.0)),
        other => number_text(&Value::from(other.as_f64().expect("a number"))),
    }
}

/// The samples of decoded protobuf families, as [`samples_from_json`] gives them: a
/// histogram's buckets cumulative with `+Inf`, `_count` and `_sum`; a native histogram's
/// buckets rebuilt from its spans and deltas, by upper bound, with its zero bucket.
pub fn samples_from_protobuf(families: &[Value]) -> Vec<Sample> {
    let mut out = Vec::new();
    for family in families {
        let name = family["name"].as_str().unwrap();
        for metric in family["metric"].as_array().unwrap() {
            let labels: BTreeMap<String, String> = metric["label"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|p| {
                            let text = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
                            (text("name"), text("value"))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let sample = |name: String, labels: BTreeMap<String, String>, value: String| Sample {
                name,
                labels,
                value,
            };
            if let Some(v) = metric.get("counter").or(metric.get("gauge")) {
                out.push(sample(name.into(), labels, proto_number(&v["value"])));
                continue;
            }
            let h = &metric["histogram"];
            let count = proto_number(&h["sample_count"]);
            let mut buckets: Vec<(f64, String)> = Vec::new();
            if h.get("schema").is_some() || h.get("positive_span").is_some() {
                let schema = h["schema"].as_i64().unwrap_or(0) as i32;
                let bound = |i: i32| (f64::from(i) / f64::from(schema).exp2()).exp2();
                let side = |spans: &str, deltas: &str| -> Vec<(i32, u64)> {
                    let mut at = 0i32;
                    let mut indexes = Vec::new();
                    for span in h[spans].as_array().into_iter().flatten() {
                        at += span["offset"].as_i64().unwrap_or(0) as i32;
                        for _ in 0..span["length"].as_u64().unwrap_or(0) {
                            indexes.push(at);
                            at += 1;
                        }
                    }
                    let mut count = 0i64;
                    let deltas = h[deltas].as_array().cloned().unwrap_or_default();
                    assert_eq!(deltas.len(), indexes.len(), "a delta per bucket: {h}");
                    indexes
                        .into_iter()
                        .zip(deltas)
                        .map(|(i, d)| {
                            count += proto_number(&d).parse::<f64>().unwrap() as i64;
                            (i, count as u64)
                        })
                        .collect()
                };
                let mut total = 0u64;
                let mut push = |le: f64, n: u64| {
                    total += n;
                    if le.is_finite() {
                        buckets.push((le, number_text(&Value::from(total as f64))));
                    }
                };
                for (i, n) in side("negative_span", "negative_delta").into_iter().rev() {
                    push(-bound(i - 1), n);
                }
                let zero = proto_number(&h["zero_count"]).parse::<f64>().unwrap() as u64;
                push(h["zero_threshold"].as_f64().unwrap_or(0.0), zero);
                for (i, n) in side("positive_span", "positive_delta") {
                    push(bound(i), n);
                }
            } else {
                for b in h["bucket"].as_array().into_iter().flatten() {
                    let le = proto_number(&b["upper_bound"]);
                    if le != "+Inf" {
                        let le = le.parse::<f64>().unwrap();
                        buckets.push((le, proto_number(&b["cumulative_count"])));
                    }
                }
            }
            for (le, n) in buckets {
                let mut labels = labels.clone();
                labels.insert("le".into(), number_text(&Value::from(le)));
                out.push(sample(format!("{name}_bucket"), labels, n));
            }
            let mut inf = labels.clone();
            inf.insert("le".into(), "+Inf".into());
            out.push(sample(format!("{name}_bucket"), inf, count.clone()));
            out.push(sample(format!("{name}_count"), labels.clone(), count));
            out.push(sample(
                format!("{name}_sum"),
                labels,
                proto_number(&h["sample_sum"]),
            ));
        }
    }
    out
}
