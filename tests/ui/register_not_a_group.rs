use meterstick::{Counter, Family, Registry};

fn main() {
    let registry = Registry::new();
    // A family alone, not a struct of metrics.
    let _ = registry.register(Family::<Counter>::new());
}
