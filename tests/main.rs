//! The one integration test binary: one module per area.

mod common;
mod conformance;
mod recur_libical;
mod recur_libical_counts;
mod tz;
