//! The real servers the push tests send to: Prometheus, VictoriaMetrics, the Pushgateway (Debian
//! packages `prometheus`, `victoria-metrics`, `prometheus-pushgateway`), each in a scratch
//! directory of its own on a free port, stopped and removed on drop.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Sample, number_text};

/// A server started by a test.
pub struct Server {
    child: Option<Child>,
    program: &'static str,
    args: Vec<String>,
    pub dir: PathBuf,
    pub port: u16,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `program` with `args`, where `{port}` and `{dir}` stand for its port and scratch
    /// directory, with `files` (name, text) written there first, and waits until `ready` (a
    /// path) answers 200.
    pub fn start(
        program: &'static str,
        args: &[&str],
        files: &[(&str, &str)],
        ready: &str,
    ) -> Server {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("meterstick-{program}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let port = free_port();
        let args = args
            .iter()
            .map(|a| {
                a.replace("{port}", &port.to_string())
                    .replace("{dir}", &dir.display().to_string())
            })
            .collect();
        let mut server = Server {
            child: None,
            program,
            args,
            dir,
            port,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.restart(ready);
        server
    }

    /// Stops the server; its data stays in its directory.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and directory, and waits until `ready` answers.
    pub fn restart(&mut self, ready: &str) {
        let child = Command::new(self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}); install it with `apt-get install prometheus \
                     victoria-metrics prometheus-pushgateway` (Debian), as .ci/run does",
                    self.program
                )
            });
        self.child = Some(child);
        let url = format!("{}{ready}", self.base);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let ok = std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && http_get_status(&url) == Some(200);
            if ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{} did not answer {url} within 60 s", self.program);
    }
}

/// The status of a plain `GET`, read by hand so that waiting needs no runtime.
fn http_get_status(url: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The samples a Prometheus-compatible query API (Prometheus, VictoriaMetrics) holds for
/// `selector` now, less `up` and `scrape_*`; `le` read as a number.
pub async fn query_samples(client: &reqwest::Client, base: &str, selector: &str) -> Vec<Sample> {
    let url = format!("{base}/api/v1/query");
    let url = reqwest::Url::parse_with_params(&url, &[("query", selector)]).unwrap();
    let Ok(response) = client.get(url).send().await else {
        return Vec::new();
    };
    let Ok(text) = response.text().await else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_str::<Value>(&text) else {
        return Vec::new();
    };
    if json["status"] != "success" {
        return Vec::new();
    }
    let mut samples: Vec<Sample> = json["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|series| {
            let metric = series["metric"].as_object()?;
            let name = metric.get("__name__")?.as_str()?.to_owned();
            if name == "up" || name.starts_with("scrape_") {
                return None;
            }
            let labels: BTreeMap<String, String> = metric
                .iter()
                .filter(|(k, _)| k.as_str() != "__name__")
                .map(|(k, v)| (k.clone(), label_text(k, v.as_str().unwrap_or_default())))
                .collect();
            let value: f64 = series["value"][1].as_str()?.parse().ok()?;
            Some(Sample {
                name,
                labels,
                value: number_text(&Value::from(value)),
            })
        })
        .collect();
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples
}

/// A label's value, `le` as a number (so that `1` and `1.0` compare equal).
pub fn label_text(key: &str, value: &str) -> String {
    match (key, value.parse::<f64>()) {
        ("le", Ok(f)) if f.is_finite() => number_text(&Value::from(f)),
        _ => value.to_owned(),
    }
}
