//! The one integration test binary: one module per area.

mod actions;
mod agenda_people;
mod brief;
mod check;
mod common;
mod config;
mod conformance;
mod corpus_smoke;
mod daemon;
mod demo;
mod engine;
mod engine_cli;
mod feed;
mod matching;
mod notify;
mod people;
mod people_props;
mod recur_libical;
mod recur_libical_counts;
mod setup;
mod tz;
