//! Real-time safety: after construction, `insert`, `pull` and `poll_played` allocate nothing,
//! whatever the packets do (reorder, loss, duplicates, late, comfort noise, resync).

use voxline_core::SampleRate;
use voxline_jitter::{JitterBuffer, JitterConfig, PacketHeader, Payload};
use voxline_testkit::{allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn insert_and_pull_do_not_allocate() {
    for rate in [SampleRate::Hz8000, SampleRate::Hz16000, SampleRate::Hz48000] {
        let mut jb = JitterBuffer::new(JitterConfig::for_rate(rate)).unwrap();
        let spp = rate.samples_per_10ms() * 2;
        let packet: Vec<f32> = (0..spp)
            .map(|i| 0.3 * (2.0 * std::f32::consts::PI * 140.0 * i as f32 / rate.hz() as f32).sin())
            .collect();
        let mut frame = vec![0.0f32; jb.frame_len()];
        let mut rtp = vec![0x80u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        rtp.extend_from_slice(&[0x55u8; 160]);
        let before = allocations();
        let mut now = 0.0;
        for k in 0..3000u32 {
            let seq = k as u16;
            let send = f64::from(k) * 20.0;
            // Jitter, a stall, reordering, loss, duplicates, comfort noise, an SSRC change.
            let arrival = send
                + 30.0
                + f64::from((k * 7919) % 37)
                + if (1000..1010).contains(&k) {
                    250.0
                } else {
                    0.0
                };
            while now < arrival {
                jb.pull(now, &mut frame).unwrap();
                while jb.poll_played().is_some() {}
                now += 10.0;
            }
            if k % 17 == 3 {
                continue;
            }
            let ssrc = if k < 2000 { 1 } else { 2 };
            let h = PacketHeader {
                sequence: seq,
                timestamp: k * spp as u32,
                ssrc,
                marker: false,
            };
            let payload = if (1500..1600).contains(&k) {
                if k == 1500 {
                    Payload::ComfortNoise { level_dbov: 50 }
                } else {
                    continue;
                }
            } else {
                Payload::Audio(&packet)
            };
            let _ = jb.insert(h, payload, arrival);
            if k % 29 == 0 {
                let _ = jb.insert(h, payload, arrival + 1.0);
            }
            if rate == SampleRate::Hz8000 && k % 31 == 0 {
                let _ = jb.insert_rtp(&rtp, arrival);
                let _ = jb.insert_rtp(&rtp[..5], arrival);
            }
        }
        let after = allocations();
        assert_eq!(after - before, 0, "{rate:?}: allocated while streaming");
        let s = jb.stats();
        assert!(
            s.resyncs >= 1 && s.packets_duplicated > 0 && s.comfort_noise_samples > 0,
            "{s:?}"
        );
    }
}
