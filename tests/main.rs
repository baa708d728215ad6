//! The one integration test binary: one module per area.

mod common;
mod conformance;
mod corpus_smoke;
mod engine;
mod engine_cli;
mod notify;
mod recur_libical;
mod setup;
mod tz;
