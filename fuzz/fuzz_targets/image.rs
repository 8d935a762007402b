#![no_main]
//! Fuzz target: see `attest_fuzz::image`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| attest_fuzz::image(data));
