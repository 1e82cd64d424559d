use meterstick::{Counter, Global, Metrics, Registry};

#[derive(Metrics)]
struct Broken {
    undocumented: Counter,
}

static GLOBAL: Global<Broken> = Global::new(Broken::new);

fn main() {
    // Only the missing help is reported: `new`, `register`, `Serialize` and `Global` work on
    // the stubs the derive leaves beside its error.
    let registry = Registry::new();
    let broken = registry.register(Broken::new()).unwrap();
    let _ = serde_json::to_string(&*broken);
    let _ = GLOBAL.try_get();
}
