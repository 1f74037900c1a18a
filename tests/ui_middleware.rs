//! Misuse of `#[middleware]` is a compile error with a clear message on the
//! offending token; every accepted form compiles.

#[test]
fn middleware_misuse_is_a_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/middleware/fail/*.rs");
    cases.pass("tests/ui/middleware/pass/*.rs");
}
