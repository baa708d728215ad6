//! The one integration test binary: one module per area.

mod common;
mod conformance;
mod hardening;
mod hardening_bounds;
mod hardening_checks;
mod matching;
mod people;
mod recur_libical;
mod recur_libical_counts;
mod tz;
