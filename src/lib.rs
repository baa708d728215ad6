//! rapport: meeting prep from your calendar and your own notes about people.
//!
//! The binary (`src/main.rs`) only parses the command line and calls
//! [`cli::main`]; everything else lives here so tests drive it in-process.
//!
//! Layout (one module per concept; the core is pure and takes `now`):
//! - [`ics`]: tolerant, fast iCalendar reader (bytes -> components).
//! - [`tz`]: time zones: IANA, Windows, vendor prefixes, VTIMEZONE rules.
//! - [`recur`]: RRULE parsing and bounded expansion.
//! - [`engine`]: components -> [`model::Occurrence`]s in a window.
//! - [`feed`]: reading calendars from files and HTTP(S), with a cache.
//! - [`config`]: the TOML configuration.
//! - [`people`], [`matching`], [`dates`]: notes about people, attendee matching.
//! - [`fsutil`], [`shared_file`]: atomic writes, locks, and replacing a file
//!   that other programs edit at the same time.
//! - [`brief`], [`schedule`], [`notify`], [`state`], [`daemon`]: the daemon.
//! - [`cli`], [`agenda`], [`actions`]: the command line.

pub mod brief;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod feed;
pub mod people;
pub mod util;
