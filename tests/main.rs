//! The one integration test binary: one module per area.

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
mod radicale;
mod recur_libical;
mod recur_libical_counts;
mod reliability_clock;
mod reliability_injection;
mod reliability_network;
mod reliability_notes;
mod reliability_secrets;
mod setup;
mod tz;
