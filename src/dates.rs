//! (dates: being written)
