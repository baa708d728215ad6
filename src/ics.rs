//! (ics: being written)
