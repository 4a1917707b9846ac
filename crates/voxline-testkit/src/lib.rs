//! Test support shared by voxline's crates (a dev-dependency only).
//!
//! [`CountingAllocator`] wraps the system allocator and counts allocations per thread, so a
//! test can prove that a real-time `process`/`pull` call allocates nothing, without being
//! disturbed by the test harness allocating on other threads:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: voxline_testkit::CountingAllocator = voxline_testkit::CountingAllocator;
//!
//! let before = voxline_testkit::allocations();
//! stage.process(&mut frame);
//! assert_eq!(voxline_testkit::allocations(), before);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    // `const` initialisation: reading it never allocates (no lazy initialisation).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// A global allocator that forwards to [`System`] and counts `alloc` and `realloc` calls made
/// on the current thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

fn count() {
    // `try_with`: during thread teardown the counter may already be gone; then don't count.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards its arguments unchanged to the system allocator, which upholds
// the `GlobalAlloc` contract; the only addition is a thread-local counter increment, which
// neither allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations (including reallocations) made so far on the calling thread, while a
/// [`CountingAllocator`] is the global allocator.
#[must_use]
pub fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}
