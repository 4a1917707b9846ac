//! One module per subcommand.

pub mod aec;
pub mod codec;
pub mod conformance;
pub mod demo;
pub mod info;
pub mod jitter;
pub mod jitter_eval;
pub mod live;
pub mod netsim;
pub mod ns;
pub mod plc;
pub mod resample;
