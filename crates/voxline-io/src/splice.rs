//! Shortening or lengthening a block of audio by a few samples with a cross-faded splice, the
//! way the fill controller drops or inserts samples to follow a device clock.
//!
//! This is a plain time-domain splice (not pitch-synchronous like WSOLA): near the end of the
//! block the signal is cross-faded with a copy of itself shifted by `k` samples. For the small
//! shifts used here (at most 1 ms per 10 ms frame, normally a few samples per second of drift)
//! the raised-cosine cross-fade keeps it free of clicks.

use core::f32::consts::FRAC_PI_2;

/// Raised-cosine weight of the shifted copy at position `i` of a cross-fade of `len` samples.
#[inline]
fn fade_in(i: usize, len: usize) -> f32 {
    let s = (FRAC_PI_2 * (i as f32 + 0.5) / len as f32).sin();
    s * s
}

/// Writes `input` into `output` with `|input.len() - output.len()|` samples removed (output
/// shorter) or repeated (output longer), cross-fading over `crossfade` samples at the end of
/// the block so that the last output sample continues into the sample after `input`.
///
/// The cross-fade is shortened when the block is too short for it; with equal lengths this is a
/// copy.
pub fn splice(input: &[f32], output: &mut [f32], crossfade: usize) {
    let n_in = input.len();
    let n_out = output.len();
    if n_out == n_in {
        output.copy_from_slice(input);
    } else if n_out < n_in {
        // Drop k samples: out[i] = in[i] before the fade, in[i + k] after it.
        let k = n_in - n_out;
        let len = crossfade.min(n_out);
        let start = n_out - len;
        output[..start].copy_from_slice(&input[..start]);
        for i in 0..len {
            let w = fade_in(i, len);
            let j = start + i;
            output[j] = (1.0 - w) * input[j] + w * input[j + k];
        }
    } else {
        // Repeat k samples: out[i] = in[i] before the fade, in[i - k] after it.
        let k = n_out - n_in;
        let len = crossfade.min(n_in.saturating_sub(k));
        if len == 0 {
            // Too short to splice: hold the last sample (or silence) for the extra samples.
            output[..n_in].copy_from_slice(input);
            let last = input.last().copied().unwrap_or(0.0);
            output[n_in..].fill(last);
            return;
        }
        let start = n_in - len;
        output[..start].copy_from_slice(&input[..start]);
        for i in 0..len {
            let w = fade_in(i, len);
            let j = start + i;
            output[j] = (1.0 - w) * input[j] + w * input[j - k];
        }
        output[start + len..].copy_from_slice(&input[start + len - k..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize, step: f32) -> Vec<f32> {
        (0..n).map(|i| (i as f32 * step).sin()).collect()
    }

    #[test]
    fn equal_lengths_copy() {
        let x = sine(160, 0.1);
        let mut y = vec![0.0; 160];
        splice(&x, &mut y, 40);
        assert_eq!(x, y);
    }

    #[test]
    fn drop_keeps_start_and_ends_on_the_last_input_sample() {
        let x = sine(160, 0.05);
        let mut y = vec![0.0; 150];
        splice(&x, &mut y, 40);
        assert_eq!(&y[..110], &x[..110]);
        // The end joins the next block without a jump.
        assert!((y[149] - x[159]).abs() < 0.01, "{} vs {}", y[149], x[159]);
        // No sample jumps more than the sine's own slope allows (plus the splice).
        for w in y.windows(2) {
            assert!((w[1] - w[0]).abs() < 0.12, "jump {w:?}");
        }
    }

    #[test]
    fn insert_repeats_and_ends_on_the_last_input_sample() {
        let x = sine(160, 0.05);
        let mut y = vec![0.0; 172];
        splice(&x, &mut y, 40);
        assert_eq!(&y[..120], &x[..120]);
        assert_eq!(y[171], x[159]);
        for w in y.windows(2) {
            assert!((w[1] - w[0]).abs() < 0.12, "jump {w:?}");
        }
    }

    #[test]
    fn tiny_blocks_do_not_panic() {
        let mut y = [0.0f32; 3];
        splice(&[0.5], &mut y, 8);
        assert_eq!(y, [0.5, 0.5, 0.5]);
        let mut y = [0.0f32; 1];
        splice(&[0.1, 0.2, 0.3], &mut y, 8);
        assert!((y[0] - 0.3).abs() < 0.2);
        let mut y: [f32; 0] = [];
        splice(&[0.1, 0.2], &mut y, 8);
        let mut y = [1.0f32; 2];
        splice(&[], &mut y, 8);
        assert_eq!(y, [0.0, 0.0]);
    }
}
