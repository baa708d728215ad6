//! rapport: meeting prep from your calendar and your own notes about people.
//!
//! The binary (`src/main.rs`) only parses the command line and calls
//! [`cli::main`]; everything else lives here so tests drive it in-process.
//! ARCHITECTURE.md is the map; the parts, top to bottom (each imports only
//! from the ones below it; `scripts/module-graph.py --layers` checks it):
//! - [`cli`]: the command line, one file per command group.
//! - [`daemon`]: `rapport run`: the loop, the pure scheduler, `state.json`,
//!   notifications over D-Bus, the request queue `rapport snooze` writes.
//! - [`brief`]: what to know before a meeting (pure), and the morning digest.
//! - [`config`]: the TOML configuration, validated with file, line and key.
//! - [`people`]: notes about people: parsing, matching attendees, lossless
//!   edits through the note writer (lock, settled read, kept versions).
//! - [`feed`]: a calendar's bytes, from a file or the network, with a cache.
//! - [`calendar`]: the engine, pure: bytes -> occurrences of a window.
//! - [`util`]: terminal-safe text, careful file writes, durations, paths.

pub mod brief;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod feed;
pub mod people;
pub mod util;
