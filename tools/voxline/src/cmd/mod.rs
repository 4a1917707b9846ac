//! One module per subcommand.

pub mod codec;
pub mod conformance;
pub mod demo;
pub mod info;
pub mod resample;
