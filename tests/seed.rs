//! The KumoMTA `/metrics.json` page, reproduced from a derived struct.

#[path = "../examples/kumod/metrics.rs"]
mod metrics;

use meterstick::Registry;

/// The example data of KumoMTA's `GET /metrics.json` page, completed where the page cuts it off,
/// with the members in name order as meterstick sorts them.
const SEED_PAGE: &str = r#"{
  "connection_count": {
    "help": "number of active connections",
    "type": "gauge",
    "value": {
      "service": {
        "esmtp_listener": 0.0,
        "smtp_client": 0.0,
        "smtp_client:source2->": 0.0
      }
    }
  },
  "lua_count": {
    "help": "the number of lua contexts currently alive",
    "type": "gauge",
    "value": 1.0
  },
  "lua_load_count": {
    "help": "how many times the policy lua script has been loaded into a new context",
    "type": "counter",
    "value": 1.0
  },
  "lua_spare_count": {
    "help": "the number of lua contexts available for reuse in the pool",
    "type": "gauge",
    "value": 1.0
  },
  "memory_limit": {
    "help": "soft memory limit measured in bytes",
    "type": "gauge",
    "value": 101234377728.0
  },
  "memory_usage": {
    "help": "number of bytes of used memory",
    "type": "gauge",
    "value": 185683968.0
  },
  "message_count": {
    "help": "total number of Message objects",
    "type": "gauge",
    "value": 1.0
  },
  "message_data_resident_count": {
    "help": "total number of Message objects with body data loaded",
    "type": "gauge",
    "value": 1.0
  },
  "message_meta_resident_count": {
    "help": "total number of Message objects with metadata loaded",
    "type": "gauge",
    "value": 1.0
  },
  "ready_count": {
    "help": "number of messages in the ready queue",
    "type": "gauge",
    "value": {
      "service": {
        "smtp_client:source1->": 46.0,
        "smtp_client:source2->": 152.0
      }
    }
  },
  "scheduled_count": {
    "help": "number of messages in the scheduled queue",
    "type": "gauge",
    "value": {
      "queue": {
        "": 0.0
      }
    }
  },
  "total_connection_count": {
    "help": "total number of active connections ever made",
    "type": "counter",
    "value": {
      "service": {
        "smtp_client": 0.0,
        "smtp_client:source2->": 0.0
      }
    }
  },
  "total_messages_delivered": {
    "help": "total number of messages ever delivered",
    "type": "counter",
    "value": {
      "service": {
        "smtp_client": 0.0,
        "smtp_client:source2->": 0.0
      }
    }
  },
  "total_messages_fail": {
    "help": "total number of message delivery attempts that permanently failed",
    "type": "counter",
    "value": {
      "service": {
        "smtp_client": 0.0,
        "smtp_client:source2->": 0.0
      }
    }
  },
  "total_messages_transfail": {
    "help": "total number of message delivery attempts that transiently failed",
    "type": "counter",
    "value": {
      "service": {
        "smtp_client": 0.0,
        "smtp_client:source2->": 0.0
      }
    }
  }
}"#;

fn seeded() -> (Registry, std::sync::Arc<metrics::KumodMetrics>) {
    let registry = Registry::new();
    let m = registry
        .register(metrics::KumodMetrics::new())
        .expect("the seed's names are distinct");
    metrics::fill_with_seed_values(&m);
    (registry, m)
}

#[test]
fn pretty_json_is_the_seed_page() {
    let (registry, _) = seeded();
    assert_eq!(registry.to_json_pretty(), SEED_PAGE);
}

#[test]
fn compact_json_is_the_seed_page_without_whitespace() {
    let (registry, metrics) = seeded();
    let expected: serde_json::Value = serde_json::from_str(SEED_PAGE).unwrap();
    let compact = registry.to_json();
    assert_eq!(compact, serde_json::to_string(&expected).unwrap());
    // The streaming encoder, the registry's `Serialize` and the group's `Serialize` agree.
    assert_eq!(compact, serde_json::to_string(&registry).unwrap());
    assert_eq!(compact, serde_json::to_string(&*metrics).unwrap());
    let mut written = Vec::new();
    registry.write_json(&mut written).unwrap();
    assert_eq!(compact.as_bytes(), written.as_slice());
}

#[test]
fn seed_floats_are_written_as_on_the_page() {
    let (registry, _) = seeded();
    let json = registry.to_json();
    for needle in [
        "\"value\":101234377728.0",
        "\"value\":185683968.0",
        "\"smtp_client:source2->\":152.0",
        "\"queue\":{\"\":0.0}",
    ] {
        assert!(json.contains(needle), "{needle} missing from {json}");
    }
}

#[test]
fn registering_the_seed_twice_names_the_duplicate() {
    let (registry, _) = seeded();
    let err = registry
        .register(metrics::KumodMetrics::new())
        .err()
        .expect("the second registration must fail");
    assert_eq!(
        err,
        meterstick::RegistryError::DuplicateName {
            name: "connection_count".into()
        }
    );
    assert!(err.to_string().contains("`connection_count`"), "{err}");
    // Nothing of the failed group was registered.
    assert_eq!(registry.describe().len(), 15);
}
