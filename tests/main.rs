//! The one integration test binary: one module per area.

mod brief;
mod common;
mod config;
mod feed;
mod matching;
mod people;
mod people_props;
mod recur_libical;
mod recur_libical_counts;
mod tz;
mod conformance;
mod corpus_smoke;
mod engine;
mod engine_cli;
mod notify;
mod setup;
mod hardening;
mod hardening_bounds;
mod hardening_checks;
