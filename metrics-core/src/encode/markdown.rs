//! A Markdown reference page of the metrics, generated from their descriptors.

use std::fmt::Write;

use crate::descriptor::Descriptor;

/// A page with one table row per metric: name, type, label keys, buckets and help.
pub(crate) fn render(descriptors: &[Descriptor]) -> String {
    let mut out = String::from(
        "# Metrics\n\n| Name | Type | Labels | Buckets | Help |\n|---|---|---|---|---|\n",
    );
    for d in descriptors {
        let labels = d
            .label_keys()
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let buckets = d
            .buckets()
            .map(|b| {
                b.iter()
                    .map(|le| zmij::Buffer::new().format_finite(*le).to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        // Writing into a `String` cannot fail.
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            d.name(),
            d.kind(),
            labels,
            buckets,
            cell(d.help())
        );
    }
    out
}

/// Text made safe for a table cell: pipes escaped, line breaks as `<br>`, markup characters as
/// entities.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' => out.push_str("<br>"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
