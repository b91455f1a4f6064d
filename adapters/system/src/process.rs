//! Resource use of this process, as the OS reports it (Linux `/proc`; `None` elsewhere).

/// Resident memory in bytes (`VmRSS`).
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Open file descriptors.
pub fn open_descriptors() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

/// The soft limit on open file descriptors.
pub fn descriptor_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let rss = resident_bytes().expect("VmRSS");
        assert!(rss > 64 * 1024, "a running test binary holds more than 64 KiB: {rss}");
        let _file = std::fs::File::open("/proc/self/status").expect("open");
        let open = open_descriptors().expect("fd count");
        assert!(open >= 4, "stdin, stdout, stderr and the file just opened: {open}");
        assert!(descriptor_limit().expect("limit") >= open);
    }
}
