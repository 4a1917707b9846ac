//! Turn taking: the far end talks, stops, the near end talks alone for seconds, then the far
//! end resumes. The delay estimate must hold through the near end's turn (nothing in it says
//! anything about the echo path) and the echo must still be cancelled when the far end
//! resumes. Regression test for a spurious relock to a large lag found by `voxline demo`.

mod common;

use common::*;

#[test]
fn the_delay_holds_while_the_near_end_talks_alone() {
    let rate = 16_000u32;
    let (far_speech, r) = load("speech/jfk_inaugural.wav");
    assert_eq!(r, rate);
    let (mut near_speech, r) = load("speech/2412-153948-0001.wav");
    assert_eq!(r, rate);
    set_level(&mut near_speech, 0.3);
    let s = rate as usize;
    // far: 0-8 s talk, 8-13 s silent, 13-16 s talk; near: 5-13 s talk (double talk 5-8 s,
    // then alone for 5 s).
    let n = 16 * s;
    let mut far = vec![0.0f32; n];
    far[..8 * s].copy_from_slice(&far_speech[..8 * s]);
    far[13 * s..16 * s].copy_from_slice(&far_speech[8 * s..11 * s]);
    let mut near = vec![0.0f32; n];
    near[5 * s..13 * s].copy_from_slice(&near_speech[..8 * s]);
    let file = std::fs::File::open(testdata("demo/room_ir_16k.wav")).unwrap();
    let ir = voxline_wav::read_audio(std::io::BufReader::new(file))
        .unwrap()
        .to_mono_f32();
    let echo = convolve(&far, &ir);
    let mic: Vec<f32> = (0..n).map(|i| echo[i] + near[i]).collect();
    let (out, stats) = run(config(rate), &far, &mic);
    let delays: Vec<Option<f32>> = stats.iter().map(|s| s.delay_ms).collect();
    let found = delays[490].expect("delay found in the first 5 s");
    assert!(found < 10.0, "room delay is about 4 ms, found {found}");
    for (k, d) in delays.iter().enumerate().skip(490) {
        let d = d.expect("estimate kept");
        assert!(
            (d - found).abs() < 2.0,
            "frame {k}: delay moved from {found} to {d} ms"
        );
    }
    // After the far end resumes (13 s): echo still cancelled from its first second.
    let erle = erle_windows(&mic, &echo, &out, rate);
    let resumed = median_from(&erle[..140], 130);
    println!("ERLE in the first second after the far end resumes: {resumed:.1} dB");
    assert!(resumed >= 25.0, "ERLE after resuming {resumed:.1} dB");
}
