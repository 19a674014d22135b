//! Server-side cost: CPU seconds of a process from `/proc/<pid>/stat`.

/// Reads the CPU time of one server process (`--server-pid`).
#[derive(Debug, Clone, Copy)]
pub struct CpuProbe {
    pid: u32,
    clock_ticks: f64,
}

impl CpuProbe {
    /// A probe of `pid`, whose `/proc` times count `clock_ticks` per second
    /// (`getconf CLK_TCK`, 100 on Linux).
    pub fn new(pid: u32, clock_ticks: u32) -> Self {
        CpuProbe {
            pid,
            clock_ticks: f64::from(clock_ticks.max(1)),
        }
    }

    /// User + system CPU seconds so far, `None` if the process is gone or unreadable.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // The command name is in parentheses and may contain spaces: fields start after ')'.
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // After ')': state is field 3 of the man page, utime 14 and stime 15.
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / self.clock_ticks)
    }
}
