//! Cache hints for memory that another thread touched last.
//!
//! The pipeline hands message texts and records between threads that run on
//! different cores; memory reused across that hand-off is cold where it is
//! used next. These hints ask for it a few items ahead. They are hints only:
//! they never fault, change nothing the program sees, and compile to nothing
//! on other architectures.

/// Brings the memory of `items` into cache for reading: the cache line of
/// its last byte (which the message parser reads first) and of its first.
#[inline]
pub fn prefetch_read<T>(items: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let bytes = std::mem::size_of_val(items);
        if bytes > 0 {
            let first = items.as_ptr().cast::<i8>();
            // SAFETY: SSE is part of x86_64; a prefetch is a hint that
            // never faults and reads nothing the program sees (the last
            // byte's address is within `items`).
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(first.wrapping_add(bytes - 1));
                _mm_prefetch::<_MM_HINT_T0>(first);
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
