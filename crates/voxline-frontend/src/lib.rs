//! Front-end (being written).
