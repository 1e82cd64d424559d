//! The metrics of KumoMTA's `GET /metrics.json` page, declared with `#[derive(Metrics)]`.

use meterstick::{Counter, Family, Gauge, Metrics};

/// Metrics of the Lua policy engine, nested into [`KumodMetrics`] with `flatten`.
///
/// `exact_names` keeps KumoMTA's counter names (`lua_load_count`, `total_messages_delivered`) in
/// the text formats too, where counters would otherwise gain `_total`.
#[derive(Metrics)]
#[metrics(exact_names)]
pub struct LuaMetrics {
    /// the number of lua contexts currently alive
    pub lua_count: Gauge,

    /// how many times the policy lua script has been loaded into a new context
    pub lua_load_count: Counter,

    /// the number of lua contexts available for reuse in the pool
    pub lua_spare_count: Gauge,
}

/// The metrics of an MTA, as its `/metrics.json` shows them.
#[derive(Metrics)]
#[metrics(exact_names)]
pub struct KumodMetrics {
    /// number of active connections
    #[metric(label = "service")]
    pub connection_count: Family<Gauge>,

    /// number of messages in the scheduled queue
    #[metric(label = "queue")]
    pub scheduled_count: Family<Gauge>,

    #[metric(flatten)]
    pub lua: LuaMetrics,

    /// soft memory limit measured in bytes
    pub memory_limit: Gauge,

    /// number of bytes of used memory
    pub memory_usage: Gauge,

    /// total number of Message objects
    pub message_count: Gauge,

    /// total number of Message objects with body data loaded
    pub message_data_resident_count: Gauge,

    /// total number of Message objects with metadata loaded
    pub message_meta_resident_count: Gauge,

    /// number of messages in the ready queue
    #[metric(label = "service")]
    pub ready_count: Family<Gauge>,

    /// total number of active connections ever made
    #[metric(label = "service")]
    pub total_connection_count: Family<Counter>,

    /// total number of messages ever delivered
    #[metric(label = "service")]
    pub total_messages_delivered: Family<Counter>,

    /// total number of message delivery attempts that permanently failed
    #[metric(label = "service")]
    pub total_messages_fail: Family<Counter>,

    /// total number of message delivery attempts that transiently failed
    #[metric(label = "service")]
    pub total_messages_transfail: Family<Counter>,
}

/// Sets every metric to the value the KumoMTA documentation page shows.
pub fn fill_with_seed_values(m: &KumodMetrics) {
    for service in ["esmtp_listener", "smtp_client", "smtp_client:source2->"] {
        m.connection_count.set(service, 0);
    }
    m.scheduled_count.set("", 0);
    m.lua.lua_count.set(1);
    m.lua.lua_load_count.inc();
    m.lua.lua_spare_count.set(1);
    m.memory_limit.set(101_234_377_728);
    m.memory_usage.set(185_683_968);
    m.message_count.set(1);
    m.message_data_resident_count.set(1);
    m.message_meta_resident_count.set(1);
    m.ready_count.set("smtp_client:source1->", 46);
    m.ready_count.set("smtp_client:source2->", 152);
    for family in [
        &m.total_connection_count,
        &m.total_messages_delivered,
        &m.total_messages_fail,
        &m.total_messages_transfail,
    ] {
        for service in ["smtp_client", "smtp_client:source2->"] {
            family.inc_by(service, 0);
        }
    }
}
