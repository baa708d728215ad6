//! The date words of the command line live in [`crate::util::dates`] (one
//! parser for every date option); re-exported here for the commands.

pub use crate::util::dates::{parse_date, DateError, DATE_FORMS};
