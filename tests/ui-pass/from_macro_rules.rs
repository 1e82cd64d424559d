// A struct declared by a `macro_rules!` macro derives like any other.

macro_rules! gauges {
    ($name:ident { $($field:ident),* }) => {
        #[derive(meterstick::Metrics)]
        struct $name {
            $(
                #[metric(help = "one of several gauges")]
                $field: meterstick::Gauge,
            )*
            #[metric(flatten)]
            inner: Inner,
        }
    };
}

#[derive(meterstick::Metrics)]
struct Inner {
    /// a nested counter
    nested: meterstick::Counter,
}

gauges!(Gauges { first, second, third });

fn main() {
    let registry = meterstick::Registry::new();
    let g = registry.register(Gauges::new()).unwrap();
    g.second.set(2);
    g.inner.nested.inc();
    let json = registry.to_json();
    assert!(json.contains("\"second\":{\"help\":\"one of several gauges\",\"type\":\"gauge\",\"value\":2.0}"));
    assert!(json.contains("\"nested\":{\"help\":\"a nested counter\",\"type\":\"counter\",\"value\":1.0}"));
}
