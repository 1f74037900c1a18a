//! Misuse of `#[depends]` and `Depends<…>` is a compile error with a clear
//! message on the offending token; every accepted form compiles.

#[test]
fn depends_misuse_is_a_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/depends/fail/*.rs");
    cases.pass("tests/ui/depends/pass/*.rs");
}
