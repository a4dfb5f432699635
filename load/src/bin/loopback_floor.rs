//! The floor under any broadcast server on this machine: a writer that does nothing but merge
//! a room's items per tick and write the frame to every socket, with no WebSocket, no runtime
//! and no server logic. A child process holds the other ends and reads everything (a tokio
//! runtime, like the load tool). Each writer thread owns a share of the sockets and runs rounds:
//! a round starts a tick after the previous one, or at once if that one ran late, and writes
//! to every socket the items published since the previous round began (`--items-per-sec` of
//! `--item-bytes` each), as one frame shared by all, so a late round merges more, as roomcast
//! does. It reports its CPU per write and per delivered item, and the latency each item would
//! have had (published uniformly between two round starts, delivered when its write returns).
//!
//! On loopback the writer's `send` also runs the receiver's TCP input and wakes the reader, so
//! this is what any server measured here pays per socket write, whatever it is written in.
//!
//!   loopback-floor --sockets 19000 --tick-ms 100

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hdrhistogram::Histogram;
use roomcast_load::net::Target;

#[derive(Parser, Debug)]
#[command(about = "CPU per loopback socket write and the best latency, the floor under any server here")]
struct Options {
    /// Sockets written to, one frame each per round.
    #[arg(long, default_value_t = 19_000)]
    sockets: usize,
    /// Items published per second in the room (what it admits).
    #[arg(long, default_value_t = 40.0)]
    items_per_sec: f64,
    /// Bytes per item in a push frame (a 200 B payload makes about 500 B of push JSON).
    #[arg(long, default_value_t = 500)]
    item_bytes: usize,
    /// The shortest time between two rounds (the push tick).
    #[arg(long, default_value_t = 100)]
    tick_ms: u64,
    /// How long to write.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Writing threads, each with its share of the sockets (the server runs one per core).
    #[arg(long, default_value_t = 2)]
    writers: usize,
    /// Internal: run as the reading child, connecting to this address.
    #[arg(long, hide = true)]
    reader_of: Option<SocketAddr>,
}

/// What one writer thread did.
struct Written {
    cpu_seconds: f64,
    writes: u64,
    items: f64,
    /// Ten evenly spread item latencies per write, in microseconds.
    latencies: Histogram<u64>,
}

fn thread_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The child: connects every socket from 127.0.0.2.., then reads until each is closed.
fn read_all(server: SocketAddr, sockets: usize) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let target = Target::parse(&server.to_string(), 16)?;
    runtime.block_on(async move {
        let mut readers = tokio::task::JoinSet::new();
        for i in 0..sockets {
            let mut stream = target.tcp(i).await.context("connect")?;
            readers.spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buffer = vec![0u8; 8192];
                while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
            });
        }
        readers.join_all().await;
        anyhow::Ok(())
    })
}

/// One writer thread's rounds over its sockets until `end`.
fn write_rounds(streams: &mut [TcpStream], options: &Options, end: Instant) -> Written {
    let tick = Duration::from_millis(options.tick_ms);
    // Ten seconds of items at most in one frame; a round that late has lost the run anyway.
    let most = (options.items_per_sec * 10.0).ceil() as usize * options.item_bytes;
    let frame = vec![b'x'; most.max(1)];
    let cpu_before = thread_cpu_seconds();
    // One microsecond to ten minutes; later than that is recorded as ten minutes.
    let latencies = Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds");
    let mut written = Written { cpu_seconds: 0.0, writes: 0, items: 0.0, latencies };
    let mut previous = Instant::now();
    std::thread::sleep(tick);
    while Instant::now() < end {
        let start = Instant::now();
        let interval = start - previous;
        let items = interval.as_secs_f64() * options.items_per_sec;
        let bytes = ((items * options.item_bytes as f64) as usize).clamp(1, frame.len());
        for stream in streams.iter_mut() {
            stream.write_all(&frame[..bytes]).expect("loopback write");
            let done = Instant::now();
            for k in 0..10 {
                let published = previous + interval.mul_f64((k as f64 + 0.5) / 10.0);
                written.latencies.saturating_record((done - published).as_micros() as u64);
            }
        }
        written.writes += streams.len() as u64;
        written.items += items * streams.len() as f64;
        previous = start;
        if let Some(wait) = (start + tick).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    written.cpu_seconds = thread_cpu_seconds() - cpu_before;
    written
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    if let Some(server) = options.reader_of {
        return read_all(server, options.sockets);
    }
    if options.writers == 0 || options.sockets < options.writers || options.tick_ms == 0 {
        bail!("need at least one socket per writer and a tick of at least 1 ms");
    }
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["--sockets", &options.sockets.to_string(), "--reader-of", &addr.to_string()])
        .stdin(Stdio::null())
        .spawn()?;
    let mut streams = Vec::with_capacity(options.sockets);
    for _ in 0..options.sockets {
        let (stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }
    let share = options.sockets.div_ceil(options.writers);
    let reader_cpu_before = reader_cpu(child.id());
    let started = Instant::now();
    let end = started + Duration::from_secs(options.seconds);
    let per_writer: Vec<Written> = std::thread::scope(|scope| {
        let options = &options;
        let handles: Vec<_> =
            streams.chunks_mut(share).map(|mine| scope.spawn(move || write_rounds(mine, options, end))).collect();
        handles.into_iter().map(|h| h.join().expect("writer thread")).collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let reader_cpu = reader_cpu(child.id()) - reader_cpu_before;
    drop(streams);
    child.wait()?;

    let writer_cpu: f64 = per_writer.iter().map(|w| w.cpu_seconds).sum();
    let writes = per_writer.iter().map(|w| w.writes).sum::<u64>().max(1) as f64;
    let items: f64 = per_writer.iter().map(|w| w.items).sum();
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds");
    for w in &per_writer {
        latencies.add(&w.latencies).expect("histograms of one precision add up");
    }
    let latency = |q: f64| latencies.value_at_quantile(q) as f64 / 1e3;
    println!(
        "{} sockets, {} items/s of {} B, tick {} ms, {} writer thread(s), {:.1} s",
        options.sockets, options.items_per_sec, options.item_bytes, options.tick_ms, options.writers, wall
    );
    println!(
        "writer: {:.2} µs CPU per write, {:.1} items per write, {:.2} µs CPU per delivery ({:.2} cores)",
        writer_cpu / writes * 1e6,
        items / writes,
        writer_cpu / items.max(1.0) * 1e6,
        writer_cpu / wall
    );
    println!("reader: {:.2} µs CPU per write ({:.2} cores)", reader_cpu / writes * 1e6, reader_cpu / wall);
    println!("latency: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms", latency(0.5), latency(0.99), latency(1.0));
    Ok(())
}

/// CPU seconds of the reading child so far, from /proc.
fn reader_cpu(pid: u32) -> f64 {
    roomcast_load::process::usage(pid).map(|u| u.cpu_seconds).unwrap_or_default()
}
