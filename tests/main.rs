//! The one integration test binary: one module per area.

mod common;
mod recur_libical;
mod recur_libical_counts;
mod tz;
mod config;
mod feed;
mod conformance;
mod corpus_smoke;
mod engine;
mod engine_cli;
