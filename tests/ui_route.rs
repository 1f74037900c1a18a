//! Compile-time checks of the route macros: each mistake is one error, on
//! the offending token, saying what to write instead.

#[test]
fn route_macros() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/route/pass/*.rs");
    cases.compile_fail("tests/ui/route/fail/*.rs");
}
