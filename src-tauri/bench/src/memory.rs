//! Resident memory read from `/proc` (Linux): this process's `VmHWM`/`VmRSS`, and the summed
//! resident memory of a process tree (an app with its WebKit helper processes).

use std::collections::HashMap;
use std::path::Path;

/// A `kB` field of `/proc/<pid>/status`, in bytes.
fn status_field(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map(|kib| kib * 1024)
}

/// This process's peak resident memory so far (`VmHWM`), in bytes.
pub fn own_peak() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status_field(&status, "VmHWM:").unwrap_or(0)
}

/// Every process's parent, from `/proc/<pid>/stat`.
fn parents() -> HashMap<u32, u32> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may hold spaces: the fields after the last `)`
        // are `state ppid ...`.
        let ppid = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            out.insert(pid, ppid);
        }
    }
    out
}

/// `root` and every process below it.
pub fn tree(root: u32) -> Vec<u32> {
    let parents = parents();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(
            parents
                .iter()
                .filter(|(_, &pp)| pp == p)
                .map(|(&pid, _)| pid),
        );
        i += 1;
    }
    out
}

/// The first process below `root` (or `root` itself) whose executable is `exe`.
pub fn find_below(root: u32, exe: &Path) -> Option<u32> {
    let wanted = std::fs::canonicalize(exe).ok()?;
    tree(root)
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| p == wanted))
}

/// The resident memory of `root` and every process below it, summed, in bytes. Shared pages are
/// counted once per process, as `ps` and every task manager count them.
pub fn tree_resident(root: u32) -> u64 {
    tree(root)
        .into_iter()
        .filter_map(|pid| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            status_field(&status, "VmRSS:")
        })
        .sum()
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
