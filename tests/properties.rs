//! Arbitrary label values and help texts survive the JSON format exactly.

use meterstick::{Family, Gauge, Metrics, Registry};
use proptest::prelude::*;

#[derive(Metrics)]
struct Labeled {
    /// one key
    #[metric(label = "k")]
    one: Family<Gauge>,
    /// two keys
    #[metric(labels("a", "b"))]
    two: Family<Gauge, (String, String)>,
}

proptest! {
    #[test]
    fn label_values_round_trip_through_json(
        values in proptest::collection::vec(any::<String>(), 1..8),
        others in proptest::collection::vec(any::<String>(), 1..8),
        n in any::<i64>(),
    ) {
        let registry = Registry::new();
        let m = registry.register(Labeled::new()).unwrap();
        for v in &values {
            m.one.set(v, n);
        }
        for (a, b) in values.iter().zip(&others) {
            m.two.set((a, b), n);
        }
        let json = registry.to_json();
        prop_assert_eq!(&json, &serde_json::to_string(&registry).unwrap());
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();

        let one = parsed["one"]["value"]["k"].as_object().unwrap();
        let mut expected: Vec<&String> = values.iter().collect();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(one.len(), expected.len());
        for v in &expected {
            prop_assert_eq!(one[v.as_str()].as_f64(), Some(n as f64));
        }
        // Sorted by value, as the bytes of the document show.
        let mut last = 0;
        for v in &expected {
            let needle = serde_json::to_string(v).unwrap() + ":";
            let at = json[last..].find(&needle).map(|i| i + last);
            prop_assert!(at.is_some(), "{} not found in order", needle);
            last = at.unwrap() + needle.len();
        }

        let two = parsed["two"]["value"].as_array().unwrap();
        let mut pairs: Vec<(&String, &String)> = values.iter().zip(&others).collect();
        pairs.sort();
        pairs.dedup();
        prop_assert_eq!(two.len(), pairs.len());
        for (entry, (a, b)) in two.iter().zip(pairs) {
            prop_assert_eq!(entry["a"].as_str(), Some(a.as_str()));
            prop_assert_eq!(entry["b"].as_str(), Some(b.as_str()));
            prop_assert_eq!(entry["@"].as_f64(), Some(n as f64));
        }
    }
}
