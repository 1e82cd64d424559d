//! Series removed and created again, pruned and taken again, and families cleared, while two
//! threads scrape in every format: each scrape lists every series once, and parses.
//!
//! `METERSTICK_CHURN_SECONDS` sets how long each format is raced (default 2).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use meterstick::{Counter, Family, Gauge, Metrics, Registry};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Metrics)]
struct Churned {
    /// a series removed and created again by `remove` and `inc`
    #[metric(label = "k")]
    plain: Family<Counter>,
    /// a series pruned when its handle is dropped, then taken again
    #[metric(gauge, label = "k", prune)]
    pruned: Family<Gauge>,
    /// a family cleared and filled again
    #[metric(label = "k")]
    cleared: Family<Counter>,
}

/// How many series beside the churned one each family keeps.
const STABLE: usize = 100;

fn stable(i: usize) -> String {
    format!("s{i:03}")
}

fn seconds() -> Duration {
    let s = std::env::var("METERSTICK_CHURN_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(s)
}

/// Fails on a JSON object that holds a key twice, at any depth (serde_json keeps the last).
struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("key {key:?} twice")));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }
}

/// Checks one scrape: parses, lists no series twice, and lists every stable series.
fn check(format: &str, body: &str) {
    match format {
        "json" => {
            serde_json::from_str::<Unique>(body)
                .unwrap_or_else(|e| panic!("JSON scrape refused: {e}\n{body}"));
            let json: serde_json::Value = serde_json::from_str(body).unwrap();
            for name in ["plain", "pruned", "cleared"] {
                let values = json[name]["value"]["k"].as_object();
                let stable_seen =
                    values.map_or(0, |v| v.keys().filter(|k| k.starts_with('s')).count());
                check_stable(name, stable_seen, body);
            }
        }
        _ => {
            if format == "openmetrics" {
                assert!(body.ends_with("# EOF\n"), "{body}");
            }
            let mut seen = HashSet::new();
            for line in body.lines().filter(|l| !l.starts_with('#')) {
                let (series, value) = line.rsplit_once(' ').expect("a sample line has a value");
                value
                    .parse::<f64>()
                    .unwrap_or_else(|_| panic!("value of {line:?}"));
                assert!(
                    seen.insert(series.to_owned()),
                    "{series} listed twice in\n{body}"
                );
            }
            for name in ["plain", "pruned", "cleared"] {
                let stable_seen = seen
                    .iter()
                    .filter(|s| s.starts_with(name) && s.contains("{k=\"s"))
                    .count();
                check_stable(name, stable_seen, body);
            }
        }
    }
}

/// The stable series are all listed, but in the family that is cleared, where a scrape between
/// the clear and the inserts after it lists fewer.
fn check_stable(name: &str, seen: usize, body: &str) {
    if name == "cleared" {
        assert!(seen <= STABLE, "{name}: {seen} stable series in\n{body}");
    } else {
        assert_eq!(seen, STABLE, "{name} in\n{body}");
    }
}

fn race(format: &'static str) -> (u64, u64) {
    let registry = Registry::new();
    let m = registry.register(Churned::new()).unwrap();
    let held: Vec<_> = (0..STABLE)
        .map(|i| {
            m.plain.inc(&stable(i));
            m.cleared.inc(&stable(i));
            let h = m.pruned.with(&stable(i));
            h.set(i as i64);
            h
        })
        .collect();
    let done = AtomicBool::new(false);
    let scrapes = thread::scope(|s| {
        let scrapers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut scrapes = 0u64;
                    while !done.load(Ordering::Relaxed) || scrapes == 0 {
                        let body = match format {
                            "json" => registry.to_json(),
                            "prometheus" => registry.to_prometheus(),
                            _ => registry.to_openmetrics(),
                        };
                        check(format, &body);
                        scrapes += 1;
                    }
                    scrapes
                })
            })
            .collect();
        let start = Instant::now();
        let mut rounds = 0u64;
        while start.elapsed() < seconds() {
            m.plain.remove("x");
            m.plain.inc("x");
            let handle = m.pruned.with("x");
            handle.set(1);
            drop(handle);
            m.pruned.sweep();
            // A clear takes the stable series away too: they come back at once, under new
            // identities, and a scrape in between may miss them but must not list them twice.
            m.cleared.clear();
            m.cleared.inc("x");
            for i in 0..STABLE {
                m.cleared.inc(&stable(i));
            }
            rounds += 1;
        }
        done.store(true, Ordering::Relaxed);
        let scrapes: u64 = scrapers.into_iter().map(|t| t.join().unwrap()).sum();
        (rounds, scrapes)
    });
    drop(held);
    scrapes
}

#[test]
fn every_scrape_lists_each_series_once_while_series_churn() {
    for format in ["json", "prometheus", "openmetrics"] {
        let (rounds, scrapes) = race(format);
        eprintln!("{format}: {rounds} rounds of churn, {scrapes} scrapes");
        assert!(
            rounds > 100 && scrapes > 100,
            "too little raced: {rounds} {scrapes}"
        );
    }
}
