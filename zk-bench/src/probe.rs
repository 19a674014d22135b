//! Server-side cost: CPU seconds of one or more processes from `/proc/<pid>/stat` (the three
//! members of an ensemble are summed: the cost of an operation is what the whole service spent).

/// Reads the CPU time of the server processes (`--server-pid`, comma-separated).
#[derive(Debug, Clone, PartialEq)]
pub struct CpuProbe {
    pids: Vec<u32>,
    clock_ticks: f64,
}

impl CpuProbe {
    /// A probe of `pid`, whose `/proc` times count `clock_ticks` per second
    /// (`getconf CLK_TCK`, 100 on Linux).
    pub fn new(pid: u32, clock_ticks: u32) -> Self {
        CpuProbe::of_processes(&[pid], clock_ticks)
    }

    /// A probe summing the CPU time of every process in `pids` (an ensemble's members).
    pub fn of_processes(pids: &[u32], clock_ticks: u32) -> Self {
        CpuProbe {
            pids: pids.to_vec(),
            clock_ticks: f64::from(clock_ticks.max(1)),
        }
    }

    /// The processes probed.
    pub fn pids(&self) -> &[u32] {
        &self.pids
    }

    /// User + system CPU seconds so far, summed over the processes; `None` if any of them is
    /// gone or unreadable (a partial sum would understate the cost).
    pub fn cpu_seconds(&self) -> Option<f64> {
        self.pids
            .iter()
            .map(|&pid| process_cpu_ticks(pid))
            .sum::<Option<f64>>()
            .map(|ticks| ticks / self.clock_ticks)
    }
}

/// utime + stime of `pid` in clock ticks.
fn process_cpu_ticks(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat_cpu_ticks(&stat)
}

/// utime + stime from the text of a `/proc/<pid>/stat` file.
fn stat_cpu_ticks(stat: &str) -> Option<f64> {
    // The command name is in parentheses and may contain spaces: fields start after ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state is field 3 of the man page, utime 14 and stime 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_cpu_ticks_adds_utime_and_stime_after_a_name_with_spaces() {
        let stat = "42 (zk server) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 1 1 1";
        assert_eq!(stat_cpu_ticks(stat), Some(325.0));
    }

    #[test]
    fn cpu_seconds_of_several_processes_is_at_least_that_of_one() {
        let me = std::process::id();
        let one = CpuProbe::new(me, 100)
            .cpu_seconds()
            .expect("own stat readable");
        let two = CpuProbe::of_processes(&[me, me], 100)
            .cpu_seconds()
            .expect("own stat readable");
        assert!(two >= 2.0 * one, "sum of two reads {two} < 2 × {one}");
    }

    #[test]
    fn cpu_seconds_is_none_when_a_process_is_gone() {
        // pid 0 has no /proc entry: the sum must not silently drop it.
        let probe = CpuProbe::of_processes(&[std::process::id(), 0], 100);
        assert_eq!(probe.cpu_seconds(), None);
    }
}
