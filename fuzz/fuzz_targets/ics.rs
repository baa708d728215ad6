#![no_main]

#[path = "../../tests/hardening_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::ics(data));
