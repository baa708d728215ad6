//! The one integration test binary: one module per area.

mod common;
mod conformance;
mod engine;
mod recur_libical;
mod tz;
