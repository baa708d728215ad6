//! The one integration test binary: one module per area.

mod common;
mod conformance;
mod corpus_smoke;
mod engine;
mod engine_cli;
mod recur_libical;
mod tz;
mod setup;
mod notify;
