use meterstick::LabelValue;

#[derive(Clone, Copy, LabelValue)]
enum Queue {
    Ready,
    Named(u8),
}

fn main() {}
