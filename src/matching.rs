//! (matching: being written)
