//! Cache hints for memory that another thread touched last.
//!
//! The pipeline hands message texts and records between threads that run on
//! different cores; memory reused across that hand-off is cold where it is
//! used next. These hints ask for it a few items ahead. They are hints only:
//! they never fault, change nothing the program sees, and compile to nothing
//! on other architectures.

/// Brings `items` (the cache line of their last one, which the message
/// parser reads first, and of their first) into cache for reading.
#[inline]
pub fn prefetch_read<T>(items: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        if let Some(last) = items.last() {
            // SAFETY: SSE is part of x86_64; a prefetch is a hint that
            // never faults and reads nothing the program sees.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(last).cast());
                _mm_prefetch::<_MM_HINT_T0>(items.as_ptr().cast());
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = items;
}

/// Asks for the first `lines` cache lines at `ptr` in a state fit for
/// writing (PREFETCHW: a CPU without it treats it as a no-op).
#[inline]
pub fn prefetch_write(ptr: *const u8, lines: usize) {
    #[cfg(target_arch = "x86_64")]
    for i in 0..lines {
        // SAFETY: a prefetch is a hint: it never faults (any address is
        // allowed, mapped or not), reads and writes nothing the program
        // sees, and PREFETCHW is a no-op on CPUs that predate it.
        unsafe {
            std::arch::asm!(
                "prefetchw [{0}]",
                in(reg) ptr.wrapping_add(i * 64),
                options(nostack, preserves_flags, readonly)
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (ptr, lines);
}
