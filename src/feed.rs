//! (feed: being written)
