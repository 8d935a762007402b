//! The spec's tests as cargo tests (`harness = false` in Cargo.toml): `cargo test` runs them,
//! `cargo test PERF-002` filters, `cargo test -- --list` lists, and the evidence bundle is
//! written to `target/attest/`.

fn main() {
    let models = match attest_example_cargo_test::models() {
        Ok(models) => models,
        Err(e) => {
            eprintln!("error: cannot load the model: {e}");
            std::process::exit(101);
        }
    };
    let harness = attest::harness::Harness::new()
        .spec("attest.yaml")
        .models(models);
    #[cfg(feature = "deliberate-failure")]
    let harness = harness.spec("deliberate-failure.yaml");
    harness.main()
}
