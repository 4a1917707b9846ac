//! Noise suppressor (work in progress).
