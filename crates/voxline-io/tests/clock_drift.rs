//! Simulated devices on drifting clocks: the real rings, callbacks and fill control, driven by
//! an event simulation of an input device, an output device and a processing thread, each on
//! its own clock (+-1000 ppm), with irregular callback sizes (64..2048 sample frames). Over
//! simulated minutes the delay through the rings must stay bounded, the output must not keep
//! starving, and the drift estimate must match the simulated clocks.

use proptest::prelude::*;
use voxline_core::SplitMix64;
use voxline_io::{duplex_rings, IoStats, RingConfig};

#[derive(Debug, Clone, Copy)]
struct Scenario {
    rate: u32,
    seconds: f64,
    capture_ppm: f64,
    render_ppm: f64,
    /// `Some(ppm)`: processing is paced by its own 10 ms timer (reading a frame per tick when
    /// one is there); `None`: by the capture callbacks (the `voxline live` case).
    timer_ppm: Option<f64>,
    capture_sizes: (usize, usize),
    render_sizes: (usize, usize),
    /// Processing stalls for this long every 20 s (0: never).
    stall_ms: u32,
    seed: u64,
}

#[derive(Debug, Default)]
struct Outcome {
    stats: IoStats,
    /// Largest capture + render fill after the first 10 s, in samples.
    max_delay_after_warmup: usize,
    /// Render underruns in the second half of the run (outside the 5 s after a stall).
    late_underruns: u64,
    /// Capture samples the simulated input device delivered.
    pushed: u64,
    /// Capture samples still waiting at the end.
    backlog: usize,
    frames: u64,
}

fn size(rng: &mut SplitMix64, (lo, hi): (usize, usize)) -> usize {
    lo + (rng.next_u64() % (hi - lo + 1) as u64) as usize
}

fn simulate(s: Scenario) -> Outcome {
    let max_cb = s.capture_sizes.1.max(s.render_sizes.1);
    let (mut proc_side, mut cap, mut ren) =
        duplex_rings(RingConfig::new(s.rate, 2, 1, s.capture_sizes.0)).unwrap();
    let n = proc_side.frame_len();
    let rate = f64::from(s.rate);
    let mut rng = SplitMix64::new(s.seed);
    let mut frame = vec![0.0f32; n];
    let mut cap_buf = vec![0i16; 2 * max_cb];
    let mut ren_buf = vec![0.0f32; max_cb];
    let mut phase = 0u64;

    let mut t_cap = size(&mut rng, s.capture_sizes) as f64 / (rate * (1.0 + s.capture_ppm * 1e-6));
    let mut cap_next = size(&mut rng, s.capture_sizes);
    let mut t_ren = 0.0;
    let mut t_tick = 0.01;
    let mut owed = 0u64;
    let mut stall_until = -1.0;
    let mut next_stall = 20.0;
    let mut out = Outcome::default();
    let mut late_underruns = 0u64;
    let mut last_underruns = 0u64;
    // Times within 5 s after a stall began are excluded from the bounds.
    let settled = |t: f64, stall_until: f64| t > 10.0 && t > stall_until + 5.0;

    let mut process = |proc_side: &mut voxline_io::ProcessingSide, owed: &mut u64, paced: bool| {
        let mut frames = 0;
        while (!paced || *owed > 0) && proc_side.try_read_capture(&mut frame).unwrap() {
            // Loop the captured signal back out (what a far end would send does not matter).
            proc_side.write_render(&frame).unwrap();
            if paced {
                *owed -= 1;
            }
            frames += 1;
        }
        frames
    };

    loop {
        let t = t_cap.min(t_ren).min(if s.timer_ppm.is_some() {
            t_tick
        } else {
            f64::INFINITY
        });
        if t > s.seconds {
            break;
        }
        if s.stall_ms > 0 && t >= next_stall {
            stall_until = t + f64::from(s.stall_ms) / 1000.0;
            next_stall += 20.0;
        }
        let stalled = t < stall_until;
        if t == t_cap {
            // A 440 Hz tone, stereo i16, as the device delivers it.
            let c = cap_next;
            for k in 0..c {
                let v = (0.3
                    * (phase as f64 * 440.0 * std::f64::consts::TAU / rate).sin()
                    * 32767.0) as i16;
                cap_buf[2 * k] = v;
                cap_buf[2 * k + 1] = v;
                phase += 1;
            }
            cap.push(&cap_buf[..2 * c]);
            out.pushed += c as u64;
            cap_next = size(&mut rng, s.capture_sizes);
            t_cap += cap_next as f64 / (rate * (1.0 + s.capture_ppm * 1e-6));
            if !stalled {
                out.frames += process(&mut proc_side, &mut owed, s.timer_ppm.is_some());
            }
        } else if t == t_ren {
            let c = size(&mut rng, s.render_sizes);
            ren.pop(&mut ren_buf[..c]);
            t_ren += c as f64 / (rate * (1.0 + s.render_ppm * 1e-6));
        } else {
            owed += 1;
            t_tick += 0.01 / (1.0 + s.timer_ppm.unwrap_or(0.0) * 1e-6);
            if !stalled {
                out.frames += process(&mut proc_side, &mut owed, true);
            }
        }
        let st = proc_side.stats();
        if settled(t, stall_until) {
            out.max_delay_after_warmup = out
                .max_delay_after_warmup
                .max(st.capture.fill + st.render.fill);
            if t > s.seconds / 2.0 {
                late_underruns += st.render.xruns - last_underruns;
            }
        }
        last_underruns = st.render.xruns;
    }
    out.stats = proc_side.stats();
    out.late_underruns = late_underruns;
    out.backlog = proc_side.capture_available();
    out
}

/// The delay bound: what the callback bursts need (one of each size) plus the controller's
/// targets, a few frames of slack, and the render control's dead band (three quarters of the
/// largest callback, `FillController::set_burst`): drift may carry the fill floor anywhere
/// inside it before a correction starts.
fn delay_bound(s: &Scenario) -> usize {
    let n = (s.rate / 100) as usize;
    let dead_band = 3 * s.capture_sizes.1.max(s.render_sizes.1) / 4;
    2 * (s.capture_sizes.1 + s.render_sizes.1) + 8 * n + dead_band
}

fn check(s: Scenario) -> Outcome {
    let o = simulate(s);
    let n = (s.rate / 100) as usize;
    let bound = delay_bound(&s);
    let st = &o.stats;
    println!(
        "{s:?}\n  max delay {:.1} ms (bound {:.1} ms), render target {} floor {:?}, \
         capture drop/ins {}/{} jumps {}, render drop/ins {}/{} jumps {}, \
         underruns {} (late {}), overruns {}, drift est {:.0} ppm",
        o.max_delay_after_warmup as f64 * 1000.0 / f64::from(s.rate),
        bound as f64 * 1000.0 / f64::from(s.rate),
        st.render.target,
        st.render.floor,
        st.capture.dropped,
        st.capture.inserted,
        st.capture.jumps,
        st.render.dropped,
        st.render.inserted,
        st.render.jumps,
        st.render.xruns,
        o.late_underruns,
        st.capture.xruns,
        st.render.drift_ppm,
    );
    assert!(
        o.max_delay_after_warmup <= bound,
        "delay {} samples above the bound {bound}",
        o.max_delay_after_warmup
    );
    assert_eq!(o.late_underruns, 0, "the output kept starving");
    assert_eq!(st.capture.xruns, 0, "capture overran");
    // Every captured sample was processed, dropped by the control or is still waiting.
    let accounted =
        st.frames_read * n as u64 + st.capture.dropped - st.capture.inserted + o.backlog as u64;
    assert_eq!(accounted, o.pushed, "capture samples lost or invented");
    o
}

/// A case the property test found: the output clock 1468 ppm slow against the input, long
/// render callbacks (up to 161 ms); by the end of the minute drift had carried the render
/// floor near the top of its dead band (2765 against a target of 1903), and the delay to
/// 4294 samples, above the bound that left the dead band out (4286).
#[test]
fn the_floor_may_sit_at_the_top_of_the_dead_band() {
    check(Scenario {
        rate: 8000,
        seconds: 60.0,
        capture_ppm: 610.4495873795685,
        render_ppm: -857.2499271744103,
        timer_ppm: None,
        capture_sizes: (326, 537),
        render_sizes: (605, 1286),
        stall_ms: 0,
        seed: 17006869533059525954,
    });
}

fn drift_truth(producer_ppm: f64, consumer_ppm: f64) -> f64 {
    ((1.0 + producer_ppm * 1e-6) / (1.0 + consumer_ppm * 1e-6) - 1.0) * 1e6
}

#[test]
fn capture_paced_processing_follows_output_drift_both_ways() {
    for (rate, capture_ppm, render_ppm) in [
        (48_000, 1000.0, -1000.0),
        (48_000, -1000.0, 1000.0),
        (16_000, 300.0, -200.0),
        (8_000, 0.0, 0.0),
    ] {
        let s = Scenario {
            rate,
            seconds: 600.0,
            capture_ppm,
            render_ppm,
            timer_ppm: None,
            capture_sizes: (64, 2048),
            render_sizes: (64, 2048),
            stall_ms: 0,
            seed: 1,
        };
        let o = check(s);
        let truth = drift_truth(capture_ppm, render_ppm);
        let est = o.stats.render.drift_ppm;
        // The fill level swings by whole callbacks (up to 2048 samples: 256 ms at 8 kHz), so
        // the trend is less certain the larger the bursts are against a frame.
        let burst_frames = 2048.0 / f64::from(rate / 100);
        assert!(
            (est - truth).abs() < 0.05 * truth.abs() + 10.0 + 2.0 * burst_frames,
            "drift estimate {est:.0} ppm, truth {truth:.0} ppm"
        );
        // 10 minutes of 2000 ppm would be 1.2 s of delay: the control must have acted.
        if truth > 500.0 {
            assert!(o.stats.render.dropped > 0);
        } else if truth < -500.0 {
            assert!(o.stats.render.inserted > 0);
        }
    }
}

#[test]
fn timer_paced_processing_drops_capture_backlog_and_survives_stalls() {
    // Processing on a slower clock than capture: capture piles up and must be dropped.
    let s = Scenario {
        rate: 48_000,
        seconds: 300.0,
        capture_ppm: 800.0,
        render_ppm: 0.0,
        timer_ppm: Some(-800.0),
        capture_sizes: (256, 1024),
        render_sizes: (441, 441),
        stall_ms: 250,
        seed: 7,
    };
    let o = check(s);
    assert!(o.stats.capture.dropped > 0, "no capture drop");
    let truth = drift_truth(800.0, -800.0);
    let est = o.stats.capture.drift_ppm;
    assert!(
        (est - truth).abs() < 0.1 * truth + 20.0,
        "capture drift estimate {est:.0} ppm, truth {truth:.0} ppm"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn delay_stays_bounded_for_any_clocks_and_callback_sizes(
        capture_ppm in -1000.0f64..1000.0,
        render_ppm in -1000.0f64..1000.0,
        timer in proptest::option::of(-1000.0f64..1000.0),
        cap_lo in 64usize..1024,
        cap_span in 0usize..1024,
        ren_lo in 64usize..1024,
        ren_span in 0usize..1024,
        rate in prop::sample::select(vec![8_000u32, 16_000, 44_100, 48_000]),
        seed in any::<u64>(),
    ) {
        check(Scenario {
            rate,
            seconds: 60.0,
            capture_ppm,
            render_ppm,
            timer_ppm: timer,
            capture_sizes: (cap_lo, cap_lo + cap_span),
            render_sizes: (ren_lo, ren_lo + ren_span),
            stall_ms: 0,
            seed,
        });
    }
}

#[test]
fn tmp_repro() {
    check(Scenario {
        rate: 8000,
        seconds: 60.0,
        capture_ppm: 610.4495873795685,
        render_ppm: -857.2499271744103,
        timer_ppm: None,
        capture_sizes: (326, 537),
        render_sizes: (605, 1286),
        stall_ms: 0,
        seed: 17006869533059525954,
    });
}
