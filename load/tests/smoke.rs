//! The load tool against a real roomcast (in this process, on loopback) for a couple of
//! seconds: a few dozen viewers, push and long-poll, and nothing admitted may be lost.

use clap::Parser;
use roomcast::app;
use roomcast::config::Config;
use roomcast_load::options::Options;
use roomcast_load::run;
use tokio_util::sync::CancellationToken;

const SDKAPPID: u64 = 1_400_000_077;
const SECRET: &str = "smoke-secret";

async fn server(dir: &tempfile::TempDir) -> app::RunningServer {
    let mut config = Config::default();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.database.url = format!("sqlite://{}/smoke.db", dir.path().display());
    config.app.sdkappid = Some(SDKAPPID);
    config.app.secret_key = Some(SECRET.into());
    config.room.member_tips = false;
    app::start(&config, CancellationToken::new()).await.expect("server starts")
}

fn options(addr: std::net::SocketAddr, viewers: &str, extra: &[&str]) -> Options {
    let sdkappid = SDKAPPID.to_string();
    let target = addr.to_string();
    let mut args = vec![
        "roomcast-load",
        "--target",
        &target,
        "--sdkappid",
        &sdkappid,
        "--secret-key",
        SECRET,
        "--viewers",
        viewers,
        "--rooms",
        "2",
        "--senders-per-room",
        "2",
        "--rate-per-room",
        "20",
        "--duration",
        "2",
        "--settle",
        "0.5",
        "--drain",
        "1.5",
        "--max-seconds",
        "60",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    Options::parse_from(args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_and_long_poll_viewers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir).await;
    for mode in ["push", "anonymous"] {
        let report = run::run(options(server.addr, "40", &["--mode", mode])).await.expect("the run completes");
        let m = &report.messages;
        assert_eq!(report.viewers_joined, 40, "{mode}: {:?}", report.first_errors);
        assert!(m.offered >= 60, "{mode}: offered {}", m.offered);
        assert!(m.reached_any_viewer > 0 && m.delivered > 0, "{mode}: nothing delivered");
        assert_eq!(m.lost, 0, "{mode}: lost {} of {}", m.lost, m.expected);
        assert_eq!(m.extra, 0, "{mode}: duplicates");
        // 40 viewers over 2 rooms: every message reaches the 20 viewers of its room.
        assert_eq!(m.delivered, m.reached_any_viewer * 20, "{mode}");
        assert!(report.latency.p99_ms > 0.0 && report.latency.p99_ms < 2000.0, "{mode}: p99 {}", report.latency.p99_ms);
        assert!(report.first_errors.is_empty(), "{mode}: {:?}", report.first_errors);
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_renders_as_json_and_png() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(&dir).await;
    let report = run::run(options(server.addr, "10", &[])).await.unwrap();
    let png = dir.path().join("chart.png");
    roomcast_load::chart::draw(&report, &png).unwrap();
    assert!(std::fs::metadata(&png).unwrap().len() > 1000);
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["latency"]["p99_ms"].is_number());
    server.stop().await.unwrap();
}
