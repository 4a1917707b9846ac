//! Real-time safety of the ring path: once built, the callback sides (`push`, `pop`) and the
//! processing side (`try_read_capture`, `write_render`, `stats`), including the fill control's
//! drops, inserts, jumps and underrun handling, allocate nothing. A counting global allocator
//! proves it.

use voxline_io::{duplex_rings, RingConfig};
use voxline_testkit::{allocations, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn ring_path_does_not_allocate() {
    let mut underruns = 0;
    for (rate, cap_cb, ren_cb) in [(48_000u32, 441usize, 1024usize), (16_000, 64, 2048)] {
        let (mut proc_side, mut cap, mut ren) =
            duplex_rings(RingConfig::new(rate, 2, 2, cap_cb)).unwrap();
        let n = proc_side.frame_len();
        let mut frame = vec![0.0f32; n];
        let cap_buf: Vec<i16> = (0..2 * cap_cb).map(|i| (i as i16) * 3).collect();
        let mut ren_buf = vec![0u16; 2 * ren_cb];
        let before = allocations();
        // Render 4 % slower than capture at first (the ring fills: drops and jumps), then 4 %
        // faster (it drains: underruns and inserts), plus a burst of backlog.
        let mut debt = 0.0f64;
        for step in 0..20_000 {
            cap.push(&cap_buf);
            if step == 5_000 {
                for _ in 0..40 {
                    cap.push(&cap_buf);
                }
            }
            while proc_side.try_read_capture(&mut frame).unwrap() {
                proc_side.write_render(&frame).unwrap();
            }
            let speed = if step < 10_000 { 0.96 } else { 1.04 };
            debt += cap_cb as f64 * speed;
            while debt >= ren_cb as f64 {
                ren.pop(&mut ren_buf);
                debt -= ren_cb as f64;
            }
            let _ = proc_side.stats();
        }
        assert_eq!(allocations(), before, "{rate} Hz: the ring path allocated");
        let st = proc_side.stats();
        assert!(st.render.dropped > 0 && st.render.inserted > 0, "{st:?}");
        underruns += st.render.xruns;
    }
    assert!(underruns > 0, "the underrun path was not exercised");
}
