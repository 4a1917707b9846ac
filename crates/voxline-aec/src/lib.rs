//! Acoustic echo canceller (work in progress).
