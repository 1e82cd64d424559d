use meterstick::LabelValue;

#[derive(Clone, Copy, LabelValue)]
enum Queue {
    Ready,
    #[label(rename = "ready")]
    AlsoReady,
}

fn main() {}
