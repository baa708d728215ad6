//! (tz: being written)
