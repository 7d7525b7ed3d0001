//! Compile-time behaviour of the attribute macros (trybuild): every error a user can make
//! has a case under `ui/<topic>/` with its reviewed `.stderr`; `ui/pass/` must compile and
//! run.
//!
//! Regenerate the `.stderr` files after an intended change with
//! `TRYBUILD=overwrite cargo test -p pipeplug-tests --test compile_fail`, then review the
//! diff: each message must read well and point at the user's mistake.

// The `.stderr` files hold rustc's own wording (type errors, const evaluation), which
// changes between compiler versions: they are reviewed against 1.95, the toolchain of the
// project's machines, and the test runs there only.
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the .stderr files are rustc 1.95's wording"
)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    for topic in ["name", "attr", "item", "field", "glue"] {
        t.compile_fail(format!("ui/{topic}/*.rs"));
    }
    t.pass("ui/pass/*.rs");
}
