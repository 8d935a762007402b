#![no_main]
//! Fuzz target: see `attest_fuzz::spec`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| attest_fuzz::spec(data));
