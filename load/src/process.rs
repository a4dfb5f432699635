//! Server CPU time and resident memory, read from /proc for a process and its descendants
//! (nginx serves from worker children of its master).

use std::fs;

/// CPU seconds (user + system) and resident bytes of a process tree at one moment.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

fn ticks_per_second() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

fn own_usage(pid: u32) -> Option<Usage> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some(Usage { cpu_seconds: (utime + stime) / ticks_per_second(), rss_bytes: rss_kb * 1024 })
}

fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    tasks
        .flatten()
        .filter_map(|task| fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| list.split_whitespace().filter_map(|p| p.parse().ok()).collect::<Vec<u32>>())
        .collect()
}

/// Usage of `pid` and all its descendants; `None` if the process is gone.
pub fn usage(pid: u32) -> Option<Usage> {
    let mut total = own_usage(pid)?;
    let mut pending = children(pid);
    while let Some(child) = pending.pop() {
        if let Some(u) = own_usage(child) {
            total.cpu_seconds += u.cpu_seconds;
            total.rss_bytes += u.rss_bytes;
        }
        pending.extend(children(child));
    }
    Some(total)
}

/// This process (the load tool itself).
pub fn own() -> Usage {
    usage(std::process::id()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let u = super::own();
        assert!(u.rss_bytes > 0);
        assert!(u.cpu_seconds >= 0.0);
    }
}
