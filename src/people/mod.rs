//! People notes (being written)
