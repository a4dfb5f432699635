//! The `roomcast` command: `serve` (default), `usersig`, `migrate`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use roomcast::app;
use roomcast::auth::usersig::{self, DEFAULT_EXPIRE_SECS};
use roomcast::config::{Config, LogFormat};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(version, about = "Self-hosted live-room IM server, wire-compatible with Tencent Cloud IM AVChatRoom")]
struct Cli {
    /// TOML config file; environment variables override it.
    #[arg(long, short, global = true, env = "ROOMCAST_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Print a UserSig for a user of the configured (or development) app.
    Usersig {
        /// The UserID to sign for.
        #[arg(long)]
        user: String,
        /// Validity in seconds (default 180 days).
        #[arg(long, default_value_t = DEFAULT_EXPIRE_SECS)]
        expire: u64,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::new(&config.log.level);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match config.log.format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn shutdown_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    token.cancel();
}

/// SIGHUP re-reads the configuration and applies the `[callback]` section; rooms keep running.
#[cfg(unix)]
async fn reload_on_sighup(file: Option<PathBuf>, ctx: std::sync::Arc<roomcast::commands::Context>) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else { return };
    while hup.recv().await.is_some() {
        match Config::load(file.as_deref()) {
            Ok(config) => ctx.webhooks.reload(&config.callback),
            Err(e) => tracing::error!(error = %e, "SIGHUP: configuration not reloaded"),
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    init_logging(&config);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let token = CancellationToken::new();
            let server = app::start(&config, token.clone()).await?;
            if server.app.development {
                print!("{}", app::development_banner(&server.app, server.addr));
            }
            println!("roomcast listening on http://{}", server.addr);
            tokio::spawn(shutdown_signal(token));
            #[cfg(unix)]
            tokio::spawn(reload_on_sighup(cli.config.clone(), server.ctx.clone()));
            server.wait().await?;
        }
        Command::Usersig { user, expire } => {
            let store = roomcast::store::open(&config.database.url, 1).await?;
            let app = app::provision_app(&config, store.as_ref()).await?;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
            println!("{}", usersig::issue(app.sdkappid, &app.secret_key, &user, expire, now));
        }
        Command::Migrate => {
            roomcast::store::open(&config.database.url, 1).await?;
            println!("database is up to date: {}", redact(&config.database.url));
        }
    }
    Ok(())
}

/// The URL without its password, for printing.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
