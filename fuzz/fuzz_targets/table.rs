#![no_main]
//! Fuzz target: see `attest_fuzz::table`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| attest_fuzz::table(data));
