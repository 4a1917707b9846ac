//! Comfort noise: while the residual-echo suppressor removes the echo, the far end must keep
//! hearing the near room's background at its own level and colour, not a quieter or
//! differently coloured floor that "pumps" with every far-end word. The committed `linear`
//! fixtures (real speech through image-method rooms) get a stationary background added here,
//! white or pink (steeper towards high frequencies, like most rooms), and the output during
//! far-end speech is compared with that background over the same windows, in two bands.

mod common;

use common::*;

/// A one-pole low-pass (coefficient `a`) of `x`: white noise becomes a red-leaning noise.
fn lowpass(x: &[f32], a: f32) -> Vec<f32> {
    let mut y = 0.0f32;
    x.iter()
        .map(|&v| {
            y = a * y + (1.0 - a) * v;
            y
        })
        .collect()
}

/// Energy of `x` split at a quarter of the rate: (below, above), by a crude complementary
/// pair (a 4-tap moving average and its remainder). Enough to tell the colour apart.
fn split_energy(x: &[f32]) -> (f32, f32) {
    let mut lo = 0.0;
    let mut hi = 0.0;
    for w in x.windows(4) {
        let l = 0.25 * (w[0] + w[1] + w[2] + w[3]);
        let h = w[3] - l;
        lo += l * l;
        hi += h * h;
    }
    (lo, hi)
}

/// Output over background level (dB), median over the 100 ms windows from `from_s` on whose
/// frames all carry far-end echo, overall and in the two bands of [`split_energy`]; and the
/// same in windows without echo (where nothing is suppressed).
struct Levels {
    during_echo: [f32; 3],
    without_echo: Option<f32>,
}

fn median(mut v: Vec<f32>) -> f32 {
    assert!(!v.is_empty());
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn levels(name: &str, colour: &str, noise_dbfs: f32, silent_lead_s: f32) -> Levels {
    let dir = format!("aec/{name}");
    let (mut far, rate) = load(&format!("{dir}/far.wav"));
    let (mut mic, _) = load(&format!("{dir}/mic.wav"));
    let (mut echo, _) = load(&format!("{dir}/echo.wav"));
    // With a silent lead, the call starts later: first digital silence from the capture
    // device for `silent_lead_s`, then one second of the room's background alone.
    let lead = (silent_lead_s * rate as f32) as usize;
    let prefix = if lead > 0 { lead + rate as usize } else { 0 };
    for x in [&mut far, &mut mic, &mut echo] {
        x.splice(0..0, std::iter::repeat_n(0.0, prefix));
    }
    let mut bg = noise(mic.len(), 77);
    if colour == "pink" {
        bg = lowpass(&bg, 0.9);
    }
    // RMS relative to a full-scale square wave (0 dBFS = RMS 1).
    set_level(&mut bg, 10f32.powf(noise_dbfs / 20.0));
    let mut mic: Vec<f32> = mic.iter().zip(&bg).map(|(m, n)| m + n).collect();
    mic[..lead].fill(0.0);
    let (out, _) = run(config(rate), &far, &mic);

    let w = rate as usize / 10;
    let mut during = [Vec::new(), Vec::new(), Vec::new()];
    let mut without = Vec::new();
    let db = |o: f32, n: f32| 10.0 * ((o + 1e-12) / (n + 1e-12)).log10();
    // From 2 s into the call on.
    let first = prefix / w + 20;
    for k in first..out.len() / w {
        let r = k * w..(k + 1) * w;
        let e: f32 = echo[r.clone()].iter().map(|v| v * v).sum::<f32>() / w as f32;
        let (ol, oh) = split_energy(&out[r.clone()]);
        let (nl, nh) = split_energy(&bg[r.clone()]);
        if e > 1e-5 {
            during[0].push(db(ol + oh, nl + nh));
            during[1].push(db(ol, nl));
            during[2].push(db(oh, nh));
        } else if e < 1e-6 {
            without.push(db(ol + oh, nl + nh));
        }
    }
    let [a, b, c] = during;
    let l = Levels {
        during_echo: [median(a), median(b), median(c)],
        without_echo: (without.len() >= 3).then(|| median(without)),
    };
    eprintln!(
        "{name} {colour} {noise_dbfs} dBFS: during echo {:.1} dB (low {:.1}, high {:.1}), \
         without echo {:.1} dB",
        l.during_echo[0],
        l.during_echo[1],
        l.during_echo[2],
        l.without_echo.unwrap_or(f32::NAN)
    );
    l
}

fn check(name: &str, colour: &str, noise_dbfs: f32, silent_lead_s: f32) {
    let l = levels(name, colour, noise_dbfs, silent_lead_s);
    for (what, v) in ["overall", "low band", "high band"]
        .iter()
        .zip(l.during_echo)
    {
        assert!(
            (-2.0..=2.0).contains(&v),
            "{name} {colour}: output during far speech {v:.1} dB from the background ({what})"
        );
    }
    if let Some(v) = l.without_echo {
        assert!(
            (-1.5..=1.0).contains(&v),
            "{name} {colour}: output without echo {v:.1} dB from the background"
        );
    }
}

#[test]
fn comfort_noise_matches_white_background_16k() {
    check("linear", "white", -50.0, 0.0);
}

#[test]
fn comfort_noise_matches_pink_background_16k() {
    check("linear", "pink", -45.0, 0.0);
}

#[test]
fn comfort_noise_matches_white_background_8k() {
    check("linear_8k", "white", -50.0, 0.0);
}

#[test]
fn comfort_noise_matches_pink_background_8k() {
    check("linear_8k", "pink", -45.0, 0.0);
}

/// The capture starts with half a second of digital silence (as many devices do), then the
/// room's background for a second before anyone talks: the background is learnt from those
/// real samples, not crawled up to from the silence at the tracker's 2 dB/s.
#[test]
fn comfort_noise_follows_a_background_that_starts_late() {
    check("linear", "pink", -45.0, 0.5);
    check("linear_8k", "white", -50.0, 0.5);
}
