//! (recur: being written)
