//! `roomcast-load`: see `roomcast-load --help` and docs/benchmarks.md.

use clap::Parser;
use roomcast_load::options::Options;
use roomcast_load::{chart, run};

/// jemalloc under benchmark (feature `jemalloc`): the tool reads as many frames as the server
/// writes, and should take as little of the shared CPU as it can.
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let report = runtime.block_on(run::run(options.clone()))?;
    println!("{}", report.summary());
    if let Some(path) = &options.json {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
    }
    if let Some(path) = &options.chart {
        chart::draw(&report, path)?;
    }
    // Open sockets close with the runtime; do not wait for servers to answer each close.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    Ok(())
}
