use meterstick::LabelValue;

#[derive(LabelValue)]
enum Queue {
    Ready,
}

fn main() {}
