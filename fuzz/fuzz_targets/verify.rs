#![no_main]
//! Fuzz target: see `attest_fuzz::verify`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| attest_fuzz::verify(data));
