//! Small helpers every part uses. Nothing here imports from the rest of the
//! crate: terminal-safe text, careful file writes and locks, dates, durations and
//! `~` in paths as the user writes them.

pub mod dates;
pub mod duration;
pub mod fs;
pub mod paths;
pub mod text;
