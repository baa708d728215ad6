//! The one integration test binary: one module per area.

mod brief;
mod common;
mod config;
mod conformance;
mod corpus_smoke;
mod engine;
mod engine_cli;
mod feed;
mod hardening;
mod hardening_bounds;
mod hardening_checks;
mod hardening_faults;
mod hardening_secrets;
mod matching;
mod notify;
mod people;
mod people_props;
mod recur_libical;
mod recur_libical_counts;
mod setup;
mod tz;
