use meterstick::Metrics;

#[derive(Metrics)]
union U {
    a: u64,
}

fn main() {}
