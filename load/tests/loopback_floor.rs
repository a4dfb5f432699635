//! `loopback-floor` writes to real loopback sockets read by its child process and reports what
//! each write cost; a short run must finish on its own and report a cost for every figure.

use std::process::Command;

fn figure(report: &str, label: &str) -> f64 {
    let at = report.find(label).unwrap_or_else(|| panic!("no {label:?} in:\n{report}")) + label.len();
    let number: String = report[at..].trim_start().chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    number.parse().unwrap_or_else(|_| panic!("no number after {label:?} in:\n{report}"))
}

#[test]
fn a_short_run_reports_the_cost_of_each_write() {
    let output = Command::new(env!("CARGO_BIN_EXE_loopback-floor"))
        .args(["--sockets", "64", "--tick-ms", "50", "--seconds", "1"])
        .output()
        .expect("loopback-floor runs");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "exit {:?}: {report}{}", output.status, String::from_utf8_lossy(&output.stderr));
    assert!(report.starts_with("64 sockets, 40 items/s of 500 B, tick 50 ms"), "{report}");
    assert!(figure(&report, "writer:") > 0.0, "{report}");
    // Rounds at least 50 ms apart carry at least two items each (40/s)...
    assert!(figure(&report, "CPU per write,") >= 2.0, "{report}");
    // ...and an item waits for the end of its round: about half a tick on the median (the
    // tenth of ten evenly spread ages is 22.5 ms), most of one at p99.
    assert!(figure(&report, "p50") >= 22.0, "{report}");
    assert!(figure(&report, "p99") >= 45.0, "{report}");
}
