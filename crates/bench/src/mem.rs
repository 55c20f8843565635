//! Process memory: what the allocator holds, and handing freed memory back to the system.
//!
//! sled's page cache is bounded, but with glibc's allocator the resident size (RSS) of a long-running
//! bot keeps creeping up: pages freed after a burst of events stay with the process, fragmented across
//! allocator arenas. [`release_free_memory`] asks glibc to return them; the [`crate::serial::Dispatcher`]
//! calls it every [`RELEASE_EVERY`] events. Both functions do nothing useful outside glibc (other
//! allocators return memory on their own, or do not say how much they hold).

/// Events between two calls of [`release_free_memory`] in the dispatcher. At a few thousand events a
/// second this is about once a second; one call takes a few milliseconds on a blocking thread.
pub const RELEASE_EVERY: u64 = 4_096;

/// Bytes the allocator has handed out and not taken back (glibc `mallinfo2`: `uordblks + hblkhd`), in
/// KiB; `None` where the allocator does not report it. Unlike RSS this leaves out memory the allocator
/// keeps for reuse, and it includes large zeroed blocks not yet touched (so it can exceed RSS).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn heap_in_use_kib() -> Option<u64> {
    // SAFETY: mallinfo2 takes no arguments, only reads glibc's allocator counters (under the arena
    // locks) and returns a plain struct by value.
    let m = unsafe { libc::mallinfo2() };
    Some(((m.uordblks + m.hblkhd) / 1024) as u64)
}

/// Not available outside glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn heap_in_use_kib() -> Option<u64> {
    None
}

/// Returns free memory held by the allocator to the operating system (glibc `malloc_trim(0)`), so RSS
/// follows the memory actually in use. A no-op outside glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_memory() {
    // SAFETY: malloc_trim only walks glibc's own arenas under their locks and releases free pages
    // (madvise); it does not touch memory that is in use, so it is safe to call from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Not available outside glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn heap_in_use_sees_a_large_allocation_and_release_keeps_live_memory() {
        let before = heap_in_use_kib().expect("glibc reports its heap");
        let block = vec![7u8; 64 << 20];
        let during = heap_in_use_kib().expect("glibc reports its heap");
        assert!(
            during >= before + (32 << 10),
            "64 MiB allocated: {before} KiB -> {during} KiB"
        );
        release_free_memory();
        // Trimming gives back free pages only: the live block is intact and still counted.
        assert!(block.iter().step_by(4096).all(|b| *b == 7));
        assert!(heap_in_use_kib().expect("glibc") >= before + (32 << 10));
        drop(block);
    }
}
