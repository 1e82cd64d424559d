//! Compile-time rules of `#[derive(Metrics)]`: one failing case per rule, and a hygiene case
//! that must compile. Regenerate the expected errors with `TRYBUILD=overwrite` and review them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
