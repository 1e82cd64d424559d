//! The HTTP endpoint, spoken to by a real HTTP client over loopback.

#![cfg(feature = "http")]

mod support;

#[path = "../examples/kumod/metrics.rs"]
mod kumod;

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use meterstick::http::{self, TrustedHostError, TrustedHosts};
use meterstick::{Counter, Family, Metrics, Registry};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};

/// Serves `registry` on a free port of `ip`.
async fn start(registry: Arc<Registry>, ip: &str, trusted: TrustedHosts) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(http::serve_listener(listener, registry, trusted));
    addr
}

fn seeded() -> Arc<Registry> {
    let registry = Arc::new(Registry::new());
    let m = registry.register(kumod::KumodMetrics::new()).unwrap();
    kumod::fill_with_seed_values(&m);
    registry
}

/// A client whose connections come from `from`.
fn client_from(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

#[tokio::test]
async fn a_trusted_peer_gets_every_format() {
    let registry = seeded();
    let addr = start(registry.clone(), "127.0.0.1", TrustedHosts::default()).await;
    let client = reqwest::Client::new();

    let cases = [
        (
            "/metrics.json",
            None,
            registry.to_json(),
            meterstick::JSON_CONTENT_TYPE,
        ),
        (
            "/metrics",
            None,
            registry.to_prometheus(),
            meterstick::PROMETHEUS_CONTENT_TYPE,
        ),
        (
            "/metrics",
            Some("application/openmetrics-text; version=1.0.0"),
            registry.to_openmetrics(),
            meterstick::OPENMETRICS_CONTENT_TYPE,
        ),
        (
            "/metrics?format=openmetrics",
            None,
            registry.to_openmetrics(),
            meterstick::OPENMETRICS_CONTENT_TYPE,
        ),
        (
            "/metrics?format=prometheus",
            Some("application/openmetrics-text"),
            registry.to_prometheus(),
            meterstick::PROMETHEUS_CONTENT_TYPE,
        ),
    ];
    for (path, accept, expected, content_type) in cases {
        let mut request = client.get(url(addr, path));
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[CONTENT_TYPE], content_type, "{path}");
        assert_eq!(
            response.text().await.unwrap(),
            expected,
            "{path} {accept:?}"
        );
    }
}

#[tokio::test]
async fn protobuf_is_given_to_who_asks_for_it_as_prometheus_does() {
    let registry = seeded();
    let addr = start(registry.clone(), "127.0.0.1", TrustedHosts::default()).await;
    let client = reqwest::Client::new();
    // What Prometheus sends with native histograms turned on.
    let prometheus_accept = "application/vnd.google.protobuf;\
        proto=io.prometheus.client.MetricFamily;encoding=delimited,\
        application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let expected = registry.to_protobuf();
    assert!(expected.len() > 100);
    for (path, accept) in [
        ("/metrics", Some(prometheus_accept)),
        ("/metrics?format=protobuf", None),
        ("/metrics?format=protobuf", Some("text/plain")),
    ] {
        let mut request = client.get(url(addr, path));
        if let Some(accept) = accept {
            request = request.header(ACCEPT, accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            meterstick::PROTOBUF_CONTENT_TYPE,
            "{path}"
        );
        assert_eq!(
            response.bytes().await.unwrap(),
            expected,
            "{path} {accept:?}"
        );
    }
}

#[tokio::test]
async fn prefix_prepends_to_every_name_and_filter_keeps_some() {
    let registry = seeded();
    let addr = start(registry.clone(), "127.0.0.1", TrustedHosts::default()).await;
    let client = reqwest::Client::new();

    // `?prefix=` is a namespace, as in KumoMTA: every name gains it, in every format.
    let json = support::fetch_json(&client, &url(addr, "/metrics.json?prefix=kumo_")).await;
    let plain: serde_json::Value = serde_json::from_str(&registry.to_json()).unwrap();
    let names: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
    let expected: Vec<String> = plain
        .as_object()
        .unwrap()
        .keys()
        .map(|k| format!("kumo_{k}"))
        .collect();
    assert_eq!(names, expected);
    assert_eq!(json["kumo_memory_limit"], plain["memory_limit"]);
    let text = support::fetch_text(&client, &url(addr, "/metrics?prefix=kumo_")).await;
    let plain_text = registry.to_prometheus();
    assert_eq!(text.lines().count(), plain_text.lines().count());
    for (prefixed, line) in text.lines().zip(plain_text.lines()) {
        let expected = match line.strip_prefix("# ") {
            Some(comment) => {
                let (what, rest) = comment.split_once(' ').unwrap();
                format!("# {what} kumo_{rest}")
            }
            None => format!("kumo_{line}"),
        };
        assert_eq!(prefixed, expected);
    }
    let om = client
        .get(url(addr, "/metrics?prefix=kumo_&format=openmetrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        om.contains("\n# TYPE kumo_total_messages_delivered unknown\n"),
        "{om}"
    );

    // `?filter=` keeps the metrics whose own name starts with it; both go together.
    let json = support::fetch_json(&client, &url(addr, "/metrics.json?filter=lua_")).await;
    let names: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(names, ["lua_count", "lua_load_count", "lua_spare_count"]);
    let text =
        support::fetch_text(&client, &url(addr, "/metrics?filter=memory_&prefix=kumo:")).await;
    assert_eq!(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        [
            "kumo:memory_limit 101234377728",
            "kumo:memory_usage 185683968"
        ]
    );

    // A prefix that would make names invalid is refused, and the answer quotes it escaped.
    for bad in ["1x", "a-b", "%22%3Cscript%3E"] {
        let response = client
            .get(url(addr, &format!("/metrics?prefix={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body = response.text().await.unwrap();
        assert!(body.starts_with("prefix "), "{body}");
        assert!(body.len() < 200, "{body}");
    }
}

#[tokio::test]
async fn a_peer_outside_the_list_is_forbidden_whatever_its_headers_say() {
    let registry = seeded();
    let trusted = TrustedHosts::new(["127.0.0.1/32"]).unwrap();
    let addr = start(registry, "127.0.0.1", trusted).await;
    let outsider = client_from("127.0.0.2");
    let insider = client_from("127.0.0.1");

    for path in ["/metrics", "/metrics.json", "/metrics?format=openmetrics"] {
        let attempts = [
            outsider.get(url(addr, path)),
            outsider
                .get(url(addr, path))
                .header("X-Forwarded-For", "127.0.0.1")
                .header("X-Real-IP", "127.0.0.1")
                .header("Forwarded", "for=127.0.0.1"),
            outsider
                .get(url(addr, path))
                .header(AUTHORIZATION, "Basic YWRtaW46YWRtaW4="),
            outsider
                .get(url(addr, path))
                .header(AUTHORIZATION, "Bearer trust-me"),
        ];
        for attempt in attempts {
            let response = attempt.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
            assert_eq!(
                response.headers()[CONTENT_TYPE],
                "text/plain; charset=utf-8"
            );
            assert_eq!(
                response.text().await.unwrap(),
                "403 Forbidden: 127.0.0.2 is not a trusted host\n"
            );
        }
        let response = insider.get(url(addr, path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn ipv6_loopback_and_ipv4_mapped_peers() {
    let registry = seeded();
    // `::1` is trusted by default.
    let v6 = start(registry.clone(), "::1", TrustedHosts::default()).await;
    let response = reqwest::get(url(v6, "/metrics.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // ...and not when only `127.0.0.1` is.
    let v6_strict = start(
        registry.clone(),
        "::1",
        TrustedHosts::new(["127.0.0.1"]).unwrap(),
    )
    .await;
    let response = reqwest::get(url(v6_strict, "/metrics")).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.text().await.unwrap(),
        "403 Forbidden: ::1 is not a trusted host\n"
    );

    // On a dual-stack socket an IPv4 peer arrives as `::ffff:127.0.0.x` and matches as IPv4.
    let dual = start(registry, "::", TrustedHosts::new(["127.0.0.1/32"]).unwrap()).await;
    let port = dual.port();
    let response = client_from("127.0.0.1")
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = client_from("127.0.0.2")
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.text().await.unwrap(),
        "403 Forbidden: 127.0.0.2 is not a trusted host\n"
    );
}

#[test]
fn malformed_trusted_hosts_fail_at_startup_with_a_fix() {
    let err = TrustedHosts::new(["127.0.0.1", "10.0.0.1/8"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "trusted host `10.0.0.1/8`: host bits set; did you mean 10.0.0.0/8?"
    );
    assert!(matches!(
        TrustedHosts::new(["10.0.0.0/40"]),
        Err(TrustedHostError::BadPrefix { max: 32, .. })
    ));
    assert!(matches!(
        TrustedHosts::new(["my-laptop"]),
        Err(TrustedHostError::Invalid { .. })
    ));
    assert_eq!(
        "2001:db8::1/32"
            .parse::<TrustedHosts>()
            .unwrap_err()
            .to_string(),
        "trusted host `2001:db8::1/32`: host bits set; did you mean 2001:db8::/32?"
    );
}

#[tokio::test]
async fn other_paths_and_methods() {
    let addr = start(seeded(), "127.0.0.1", TrustedHosts::default()).await;
    let client = reqwest::Client::new();
    for path in ["/", "/metrics/", "/metrics.txt", "/nope"] {
        let response = client.get(url(addr, path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in ["/metrics", "/metrics.json"] {
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let response = client
                .request(method.clone(), url(addr, path))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
        }
        let response = client.head(url(addr, path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "HEAD {path}");
    }
    let response = client
        .get(url(addr, "/metrics?format=xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("unknown format `xml`")
    );
}

#[tokio::test]
async fn gzip_decodes_to_the_same_body() {
    let registry = seeded();
    let addr = start(registry.clone(), "127.0.0.1", TrustedHosts::default()).await;
    let client = reqwest::Client::builder().gzip(false).build().unwrap();
    for (path, expected) in [
        ("/metrics.json", registry.to_json()),
        ("/metrics", registry.to_prometheus()),
    ] {
        let response = client
            .get(url(addr, path))
            .header(ACCEPT_ENCODING, "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_ENCODING], "gzip");
        let compressed = response.bytes().await.unwrap();
        assert!(compressed.len() < expected.len());
        let mut body = String::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_string(&mut body)
            .unwrap();
        assert_eq!(body, expected);

        let plain = client.get(url(addr, path)).send().await.unwrap();
        assert!(plain.headers().get(CONTENT_ENCODING).is_none());
        assert_eq!(plain.text().await.unwrap(), expected);
    }
}

#[derive(Metrics)]
struct Load {
    /// events counted by the updaters
    events: Counter,
    /// events per worker and lane
    #[metric(labels("worker", "lane"))]
    lanes: Family<Counter, (String, String)>,
}

/// Many concurrent scrapes while threads update: no failure, every body parses, totals exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_load_of_concurrent_scrapes() {
    const UPDATERS: u64 = 2;
    const ROUNDS: u64 = 50_000;
    const CLIENTS: usize = 32;
    const REQUESTS: usize = 12;

    let registry = Arc::new(Registry::new());
    let m = registry.register(Load::new()).unwrap();
    let addr = start(registry.clone(), "127.0.0.1", TrustedHosts::default()).await;
    let updaters: Vec<_> = (0..UPDATERS)
        .map(|w| {
            let m = m.clone();
            std::thread::spawn(move || {
                let worker = format!("w{w}");
                for i in 0..ROUNDS {
                    m.events.inc();
                    m.lanes.inc((&worker, &format!("lane{}", i % 50)));
                }
            })
        })
        .collect();

    let client = reqwest::Client::new();
    let scrapers: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let client = client.clone();
            tokio::spawn(async move {
                for r in 0..REQUESTS {
                    let (path, accept) = match (c + r) % 3 {
                        0 => ("/metrics.json", "*/*"),
                        1 => ("/metrics", "text/plain"),
                        _ => ("/metrics", "application/openmetrics-text"),
                    };
                    let response = client
                        .get(url(addr, path))
                        .header(ACCEPT, accept)
                        .send()
                        .await
                        .expect("request");
                    assert_eq!(response.status(), StatusCode::OK);
                    let body = response.text().await.expect("body");
                    if path == "/metrics.json" {
                        let json: serde_json::Value =
                            serde_json::from_str(&body).expect("JSON parses");
                        assert!(
                            json["events"]["value"].as_f64().unwrap() <= (UPDATERS * ROUNDS) as f64
                        );
                    } else {
                        assert!(body.starts_with("# HELP events"));
                        if accept == "text/plain" {
                            assert!(body.ends_with('\n'));
                        } else {
                            assert!(body.ends_with("# EOF\n"));
                        }
                    }
                }
            })
        })
        .collect();
    for s in scrapers {
        s.await.unwrap();
    }
    for u in updaters {
        u.join().unwrap();
    }

    let json = support::fetch_json(&client, &url(addr, "/metrics.json")).await;
    assert_eq!(
        json["events"]["value"],
        serde_json::json!((UPDATERS * ROUNDS) as f64)
    );
    let lanes = json["lanes"]["value"].as_array().unwrap();
    assert_eq!(lanes.len(), (UPDATERS * 50) as usize);
    let total: f64 = lanes.iter().map(|l| l["@"].as_f64().unwrap()).sum();
    assert_eq!(total, (UPDATERS * ROUNDS) as f64);
}

#[derive(Metrics)]
struct Big {
    /// many series
    #[metric(label = "id")]
    series: Family<Counter>,
}

/// A client that stops reading halfway does not disturb the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_mid_body_does_not_disturb_others() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let registry = Arc::new(Registry::new());
    let m = registry.register(Big::new()).unwrap();
    for i in 0..100_000 {
        m.series.inc(&format!("series-{i:06}"));
    }
    let addr = start(registry.clone(), "127.0.0.1", TrustedHosts::default()).await;
    for _ in 0..5 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut first = vec![0u8; 4096];
        let n = stream.read(&mut first).await.unwrap();
        assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200 OK"));
        drop(stream);
    }
    let body = support::fetch_text(&reqwest::Client::new(), &url(addr, "/metrics")).await;
    assert_eq!(body, registry.to_prometheus());
    assert_eq!(body.lines().count(), 100_002);
}

#[tokio::test]
async fn the_router_mounts_in_an_existing_application() {
    let registry = seeded();
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "hello" }))
        .merge(http::router(registry.clone(), TrustedHosts::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::new();
    let hello = client.get(url(addr, "/")).send().await.unwrap();
    assert_eq!(hello.text().await.unwrap(), "hello");
    let json = client.get(url(addr, "/metrics.json")).send().await.unwrap();
    assert_eq!(json.text().await.unwrap(), registry.to_json());
    let forbidden = client_from("127.0.0.2")
        .get(url(addr, "/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn without_the_peer_address_nothing_is_served() {
    let app = http::router(seeded(), TrustedHosts::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Served without `into_make_service_with_connect_info`: the peer cannot be checked.
    tokio::spawn(async move { axum::serve(listener, app).await });
    let response = reqwest::get(url(addr, "/metrics")).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("into_make_service_with_connect_info")
    );
}

#[tokio::test]
async fn an_unknown_format_is_quoted_short_not_echoed() {
    let addr = start(seeded(), "127.0.0.1", TrustedHosts::default()).await;
    // 56 KB of format (reqwest takes no longer URI), with escape sequences and a bell in it.
    let format = "%1B%5B2J%07xml".repeat(4_000);
    let response = reqwest::Client::new()
        .get(url(addr, &format!("/metrics?format={format}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = response.text().await.unwrap();
    assert!(body.len() < 300, "{} bytes: {body:?}", body.len());
    assert!(!body.trim_end().chars().any(char::is_control), "{body:?}");
    assert!(
        body.starts_with("unknown format `\\u{1b}[2J\\u{7}xml"),
        "{body:?}"
    );
    assert!(
        body.contains("...`; use `prometheus`, `openmetrics` or `protobuf`"),
        "{body:?}"
    );
}
