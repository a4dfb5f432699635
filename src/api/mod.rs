//! REST transport: `POST /v4/<service>/<command>?sdkappid=&identifier=&usersig=&random=&contenttype=json`.
//!
//! A handler only reads the query, enforces the body limit, the per-app frequency limit and
//! the request deadline, authenticates the administrator and calls [`commands::dispatch`].

pub(crate) mod envelope;
mod rate_limit;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use tower_http::trace::TraceLayer;

use crate::commands::{self, Context};
use crate::config::RestConfig;
use crate::error::{ImError, code};
use rate_limit::AppRateLimiter;

/// What REST handlers share.
#[derive(Clone)]
pub struct RestState {
    ctx: Arc<Context>,
    limiter: Arc<AppRateLimiter>,
    body_limit: usize,
    timeout: Duration,
}

impl RestState {
    pub fn new(ctx: Arc<Context>, config: &RestConfig) -> Self {
        Self {
            ctx,
            limiter: Arc::new(AppRateLimiter::new(config.rate_limit_per_sec)),
            body_limit: config.body_limit_bytes,
            timeout: Duration::from_secs(config.request_timeout_secs),
        }
    }
}

pub fn router(state: RestState) -> Router {
    Router::new()
        .route("/v4/{service}/{command}", any(rest_command))
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(crate::metrics::render))
        .fallback(unknown_path)
        .with_state(state)
        .layer(TraceLayer::new_for_http())
}

/// Other `/v4/...` paths get Tencent's "bad resource" envelope; anything else a plain 404.
async fn unknown_path(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/v4/") {
        let info = format!("no such REST resource {}: use /v4/<service>/<command>", uri.path());
        return envelope::fail(&ImError::new(code::UNKNOWN_COMMAND, info));
    }
    (axum::http::StatusCode::NOT_FOUND, "not found").into_response()
}

#[tracing::instrument(name = "rest", skip(state, query, body, peer), fields(sdkappid))]
async fn rest_command(
    State(state): State<RestState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path((service, command)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    body: Body,
) -> Response {
    let q = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    let Some(sdkappid_text) = query.get("sdkappid") else {
        return envelope::fail(&ImError::new(code::SDKAPPID_MISSING, "the sdkappid query parameter is required"));
    };
    let Ok(sdkappid) = sdkappid_text.parse::<u64>() else {
        return envelope::fail(&ImError::new(
            code::SDKAPPID_INVALID,
            format!("sdkappid {sdkappid_text:?} is not a number"),
        ));
    };
    tracing::Span::current().record("sdkappid", sdkappid);
    if state.ctx.apps.get(sdkappid).is_none() {
        return envelope::fail(&ImError::new(
            code::SDKAPPID_INVALID,
            format!("SDKAppID {sdkappid} is not served here"),
        ));
    }
    let body = match axum::body::to_bytes(body, state.body_limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let info = format!("request body is larger than {} bytes, or was cut off", state.body_limit);
            return envelope::fail(&ImError::new(code::BAD_HTTP_REQUEST, info));
        }
    };
    let now = state.ctx.now();
    let principal = match state.ctx.apps.authenticate_admin(sdkappid, q("identifier"), q("usersig"), now) {
        Ok(p) => p,
        Err(e) => return envelope::fail(&e),
    };
    // Counted after authentication, so callers without credentials cannot use up the quota.
    if !state.limiter.admit(sdkappid) {
        let info = "REST API call frequency over the limit for this SDKAppID";
        return envelope::fail(&ImError::new(code::REST_FREQUENCY_LIMIT, info));
    }
    let caller = commands::Caller::rest(principal, peer.ip().to_string());
    let work = commands::dispatch(&state.ctx, &caller, &service, &command, &body);
    match tokio::time::timeout(state.timeout, work).await {
        Ok(result) => {
            let code = result.as_ref().map_or_else(|e| e.code, |_| 0);
            metrics::counter!(crate::metrics::REST_REQUESTS, "code" => code.to_string()).increment(1);
            envelope::from_result(result)
        }
        Err(_) => envelope::fail(&ImError::new(code::BAD_HTTP_REQUEST, "the request timed out on the server")),
    }
}
