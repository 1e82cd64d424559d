use meterstick::LabelValue;

#[derive(Clone, Copy, LabelValue)]
struct Queue {
    name: u8,
}

fn main() {}
