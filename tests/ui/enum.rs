use meterstick::Metrics;

#[derive(Metrics)]
enum E {
    A,
}

fn main() {}
