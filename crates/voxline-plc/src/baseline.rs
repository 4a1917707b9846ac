//! The two baselines every concealer is measured against.

use crate::Engine;
use voxline_core::sanitize;

/// Silence insertion: a lost frame is zeros.
pub(crate) struct Zero;

impl Engine for Zero {
    fn good(&mut self, input: &[f32], out: &mut [f32]) {
        for (o, &i) in out.iter_mut().zip(input) {
            *o = sanitize(i);
        }
    }
    fn conceal(&mut self, out: &mut [f32]) {
        out.fill(0.0);
    }
    fn latency(&self) -> usize {
        0
    }
}

/// Frame repetition: a lost frame repeats the last received 10 ms frame, unchanged.
pub(crate) struct Repeat {
    last: Vec<f32>,
}

impl Repeat {
    pub(crate) fn new(frame: usize) -> Self {
        Self {
            last: vec![0.0; frame],
        }
    }
}

impl Engine for Repeat {
    fn good(&mut self, input: &[f32], out: &mut [f32]) {
        for ((o, l), &i) in out.iter_mut().zip(self.last.iter_mut()).zip(input) {
            *o = sanitize(i);
            *l = *o;
        }
    }
    fn conceal(&mut self, out: &mut [f32]) {
        out.copy_from_slice(&self.last);
    }
    fn latency(&self) -> usize {
        0
    }
}
