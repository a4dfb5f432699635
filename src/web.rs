//! The browser side, served beside the REST API and the gateway:
//!
//! - `/` (landing page), `/demo/` (a live room written against the official Web SDK, the way a
//!   customer moving from Tencent IM writes it), `/console/` (an operator console over the REST
//!   API) and `/assets/`: static files from `web.dir`, no build step;
//! - `/sdk/chat/`: the `@tencentcloud/chat` npm package from `web.sdk_dir`. It is installed by
//!   `npm ci --prefix web`, never embedded in the binary; without it the pages say how to get it.
//! - only for the development app: `/dev/config` (SDKAppID, administrator, demo room) and
//!   `/dev/usersig?user=ID` (a UserSig for any account, the administrator's included), so the
//!   pages work with no setup. They hand out credentials, so they answer loopback callers only,
//!   and with a configured app they do not exist (404).

use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use tower_http::services::ServeDir;

use crate::api::envelope;
use crate::auth::usersig;
use crate::auth::{AppEntry, Principal};
use crate::commands::{self, Caller, Context, reply};
use crate::config::WebConfig;
use crate::error::{ImError, code};

/// The room the demo page joins by default; the development app gets it at start.
pub const DEMO_ROOM: &str = "demo";
/// Validity of the UserSigs `/dev/usersig` issues, unless the caller asks for another.
const DEV_SIG_EXPIRE_SECS: u64 = 24 * 3600;
const DEV_SIG_MAX_EXPIRE_SECS: u64 = usersig::DEFAULT_EXPIRE_SECS;

/// The pages' routes, and the development endpoints when `app` is the development app.
pub fn router(config: &WebConfig, app: &AppEntry) -> Router {
    let mut router = Router::new();
    if !config.dir.is_empty() {
        let dir = PathBuf::from(&config.dir);
        let index = dir.join("index.html");
        router = router
            .route("/", get(move || landing(index.clone())))
            // The pages refer to their files by absolute paths, so `/demo` and `/demo/` both work.
            .nest_service("/demo", ServeDir::new(dir.join("demo")))
            .nest_service("/console", ServeDir::new(dir.join("console")))
            .nest_service("/assets", ServeDir::new(dir.join("assets")))
            .nest_service("/sdk/chat", ServeDir::new(&config.sdk_dir));
    }
    if app.development {
        let dev = Router::new()
            .route("/dev/config", get(dev_config))
            .route("/dev/usersig", get(dev_usersig))
            .with_state(app.clone());
        router = router.merge(dev);
    }
    router
}

/// The landing page, or a note saying where the pages were looked for.
async fn landing(index: PathBuf) -> Response {
    match tokio::fs::read(&index).await {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(_) => (
            StatusCode::NOT_FOUND,
            format!(
                "roomcast is running, but its web pages are not at {}.\n\
                 Start it from the repository root (scripts/run), or set web.dir (ROOMCAST__WEB__DIR).\n",
                index.display()
            ),
        )
            .into_response(),
    }
}

/// A development endpoint called from another host: refused, as it hands out credentials.
fn not_loopback(peer: SocketAddr) -> Option<Response> {
    (!peer.ip().is_loopback()).then(|| {
        let text = "the development endpoints answer only on loopback: configure an app (app.sdkappid and \
                    app.secret_key) to serve other hosts, and issue UserSigs from your backend";
        (StatusCode::FORBIDDEN, text).into_response()
    })
}

async fn dev_config(State(app): State<AppEntry>, ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Response {
    if let Some(refused) = not_loopback(peer) {
        return refused;
    }
    envelope::ok(reply([
        ("SDKAppID", json!(app.sdkappid)),
        ("Administrator", json!(app.admins[0])),
        ("DemoRoom", json!(DEMO_ROOM)),
        ("Development", json!(true)),
    ]))
}

#[derive(Deserialize)]
struct UserSigQuery {
    user: Option<String>,
    expire: Option<u64>,
}

async fn dev_usersig(
    State(app): State<AppEntry>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<UserSigQuery>,
) -> Response {
    if let Some(refused) = not_loopback(peer) {
        return refused;
    }
    let user = query.user.unwrap_or_default();
    if let Err(why) = commands::validate::user_id(&user) {
        return envelope::fail(&ImError::new(code::ACCOUNT_BAD_PARAM, format!("user: {why}")));
    }
    let expire = query.expire.unwrap_or(DEV_SIG_EXPIRE_SECS);
    if expire == 0 || expire > DEV_SIG_MAX_EXPIRE_SECS {
        let info = format!("expire must be between 1 and {DEV_SIG_MAX_EXPIRE_SECS} seconds");
        return envelope::fail(&ImError::new(code::ACCOUNT_BAD_PARAM, info));
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let sig = usersig::issue(app.sdkappid, &app.secret_key, &user, expire, now);
    envelope::ok(reply([
        ("SDKAppID", json!(app.sdkappid)),
        ("UserID", json!(user)),
        ("UserSig", json!(sig)),
        ("ExpireSeconds", json!(expire)),
    ]))
}

/// Creates the demo room of the development app unless it exists, through the same command an
/// operator would call; a failure is logged, not fatal, as the server works without it.
pub async fn ensure_demo_room(ctx: &Context, app: &AppEntry) {
    let admin = Principal::Admin { sdkappid: app.sdkappid, user_id: app.admins[0].clone() };
    let caller = Caller::rest(admin, "127.0.0.1".into());
    let body = json!({
        "Type": "AVChatRoom",
        "GroupId": DEMO_ROOM,
        "Name": "roomcast demo",
        "Introduction": "The live room of the demo page; create more from the console.",
    });
    let created =
        commands::dispatch(ctx, &caller, "group_open_http_svc", "create_group", body.to_string().as_bytes()).await;
    match created {
        Ok(_) => tracing::info!(group = DEMO_ROOM, "created the demo room"),
        Err(e) if e.code == code::GROUP_ID_IN_USE || e.code == code::GROUP_ID_OWNED => {}
        Err(e) => tracing::warn!(code = e.code, info = %e.info, "could not create the demo room"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_endpoints_refuse_other_hosts() {
        assert!(not_loopback("127.0.0.1:5000".parse().unwrap()).is_none());
        assert!(not_loopback("[::1]:5000".parse().unwrap()).is_none());
        let refused = not_loopback("192.168.1.20:5000".parse().unwrap()).expect("refused");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
}
