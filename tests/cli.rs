//! The `roomcast` binary as an operator runs it: first start, restart, usersig, migrate,
//! PostgreSQL by environment (the docker-compose setup), JSON logs.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use roomcast::auth::usersig;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_roomcast");

/// A running `roomcast serve` and what it printed before it was ready.
struct Served {
    child: Child,
    banner: Vec<String>,
    addr: String,
    stderr: Option<std::process::ChildStderr>,
}

fn command(dir: &Path, envs: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir).env("ROOMCAST_LISTEN", "127.0.0.1:0");
    for var in
        ["ROOMCAST_DATABASE_URL", "ROOMCAST_SDKAPPID", "ROOMCAST_SECRET_KEY", "ROOMCAST_ADMINS", "ROOMCAST_LOG_FORMAT"]
    {
        cmd.env_remove(var);
    }
    cmd.envs(envs.iter().copied());
    cmd
}

/// Starts the server and reads stdout until it says where it listens (no sleeping).
fn serve(dir: &Path, envs: &[(&str, &str)]) -> Served {
    serve_command(command(dir, envs))
}

fn serve_command(mut cmd: Command) -> Served {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("the server prints its address within a minute");
        if let Some(addr) = line.strip_prefix("roomcast listening on http://") {
            let stderr = child.stderr.take();
            return Served { child, banner, addr: addr.to_owned(), stderr };
        }
        banner.push(line);
    }
}

impl Served {
    fn child_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    fn field(&self, label: &str) -> String {
        let line = self
            .banner
            .iter()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("{label} in {:?}", self.banner));
        line.trim_start()[label.len()..].trim().to_owned()
    }

    /// SIGTERM, then the exit status must be success.
    fn stop(mut self) -> String {
        Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "graceful exit on SIGTERM: {status}");
        let mut logs = String::new();
        if let Some(mut err) = self.stderr.take() {
            std::io::Read::read_to_string(&mut err, &mut logs).unwrap();
        }
        logs
    }
}

fn account_check(addr: &str, sdkappid: &str, admin: &str, sig: &str) -> Value {
    let url = format!(
        "http://{addr}/v4/im_open_login_svc/account_check?sdkappid={sdkappid}&identifier={admin}&usersig={sig}&random=7&contenttype=json"
    );
    let body = format!(r#"{{"CheckItem":[{{"UserID":"{admin}"}}]}}"#);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { reqwest::Client::new().post(&url).body(body).send().await.unwrap().json().await.unwrap() })
}

#[test]
fn first_start_creates_a_development_app_and_prints_working_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let first = serve(dir.path(), &[]);
    assert!(dir.path().join("data/roomcast.db").exists(), "the default database is a SQLite file under ./data");
    let (sdkappid, key, sig) = (first.field("SDKAppID:"), first.field("secret key:"), first.field("UserSig:"));
    assert_eq!(first.field("admin:"), "administrator");
    assert!(first.field("try:").starts_with("curl "));
    assert_eq!(key.len(), 64);
    let claims = usersig::verify(&sig, sdkappid.parse().unwrap(), &key, "administrator", common::now()).unwrap();
    assert!(claims.expire >= 86_400, "the printed UserSig lasts at least a day");
    assert_eq!(account_check(&first.addr, &sdkappid, "administrator", &sig)["ActionStatus"], "OK");
    first.stop();

    // The next start reuses the same app.
    let second = serve(dir.path(), &[]);
    assert_eq!((second.field("SDKAppID:"), second.field("secret key:")), (sdkappid.clone(), key.clone()));
    assert_eq!(account_check(&second.addr, &sdkappid, "administrator", &sig)["ActionStatus"], "OK");
    second.stop();

    // `roomcast usersig` signs for the same app.
    let out = command(dir.path(), &[]).args(["usersig", "--user", "bob", "--expire", "600"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let claims = usersig::verify(&token, sdkappid.parse().unwrap(), &key, "bob", common::now()).unwrap();
    assert_eq!(claims.expire, 600);
}

#[test]
fn configured_app_on_postgres_by_environment_like_docker_compose() {
    let db = tokio::runtime::Runtime::new().unwrap().block_on(common::Database::postgres());
    let dir = tempfile::tempdir().unwrap();
    let url = db.url();
    let envs = [
        ("ROOMCAST_DATABASE_URL", url.as_str()),
        ("ROOMCAST_SDKAPPID", "1400000042"),
        ("ROOMCAST_SECRET_KEY", "compose-secret"),
        ("ROOMCAST_ADMINS", "ops,administrator"),
        ("ROOMCAST_LOG_FORMAT", "json"),
    ];
    let migrate = command(dir.path(), &envs).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let said = String::from_utf8(migrate.stdout).unwrap();
    assert!(said.contains("database is up to date") && !said.contains("compose-secret"), "{said}");

    let served = serve(dir.path(), &envs);
    assert!(served.banner.is_empty(), "no development banner for a configured app: {:?}", served.banner);
    let sig = usersig::issue(1_400_000_042, "compose-secret", "ops", 600, common::now());
    assert_eq!(account_check(&served.addr, "1400000042", "ops", &sig)["ActionStatus"], "OK");
    let logs = served.stop();
    let first = logs.lines().next().expect("some log lines");
    let parsed: Value = serde_json::from_str(first).unwrap_or_else(|e| panic!("JSON log line ({e}): {first}"));
    assert!(parsed.get("level").is_some(), "{parsed}");
}

#[test]
fn a_bad_configuration_is_reported_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path(), &[("ROOMCAST_SDKAPPID", "1400000001"), ("ROOMCAST_ADMINS", "a,b,c,d,e,f")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("secret_key") && err.contains("1 to 5 accounts"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_the_callback_settings() {
    let first = common::receiver::Receiver::start().await;
    let second = common::receiver::Receiver::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("roomcast.toml");
    let write = |url: &str| std::fs::write(&config, format!("[callback]\nurl = \"{url}\"\n")).unwrap();
    write(&first.url);
    let envs = [("ROOMCAST_SDKAPPID", "1400000077"), ("ROOMCAST_SECRET_KEY", "hup-secret")];
    let mut cmd = command(dir.path(), &envs);
    cmd.arg("--config").arg(&config);
    let mut served = serve_command(cmd);
    let sig = usersig::issue(1_400_000_077, "hup-secret", "administrator", 600, common::now());
    let http = reqwest::Client::new();
    let create = |n: u32| {
        let url = format!(
            "http://{}/v4/group_open_http_svc/create_group?sdkappid=1400000077&identifier=administrator&usersig={sig}&random=1&contenttype=json",
            served.addr
        );
        let body = format!(r#"{{"Type":"AVChatRoom","Name":"H","GroupId":"h{n}"}}"#);
        let http = http.clone();
        async move { http.post(url).body(body).send().await.unwrap() }
    };
    create(0).await;
    first.wait_for("Group.CallbackAfterCreateGroup", 1).await;
    write(&second.url);
    Command::new("kill").arg("-HUP").arg(served.child.id().to_string()).status().unwrap();
    // The reload is asynchronous: keep creating groups until one is reported to the new URL.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut n = 1;
    while second.of("Group.CallbackAfterCreateGroup").is_empty() {
        assert!(std::time::Instant::now() < deadline, "the new URL never got a callback");
        create(n).await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served.child_running(), "SIGHUP did not stop the server");
    served.stop();
}
