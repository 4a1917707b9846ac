//! Criterion benchmarks of voxline; see `benches/` and run `cargo bench -p voxline-benches`.
