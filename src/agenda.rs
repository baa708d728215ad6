//! (agenda: being written)
