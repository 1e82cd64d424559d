use meterstick::{Counter, Metrics};

#[derive(Metrics)]
struct S {
    /// starts with a digit
    #[metric(name = "9lives")]
    a: Counter,
    /// holds a dash
    #[metric(name = "bad-name")]
    b: Counter,
}

fn main() {}
