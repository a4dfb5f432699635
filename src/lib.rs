//! roomcast: a self-hosted live-room IM server, wire-compatible with Tencent Cloud IM's
//! live-stream groups (AVChatRoom).
//!
//! Reading order:
//! - [`config`]: the typed configuration tree and its sources.
//! - [`error`]: the domain error, a Tencent error code with its text.
//! - [`auth`]: UserSig (TLSSigAPIv2) and the caller, a [`auth::Principal`].
//! - [`store`]: durable state behind one trait, on SQLite or PostgreSQL.
//! - [`commands`]: the command layer every transport calls.
//! - [`api`]: the REST transport (`/v4/<service>/<command>`).
//! - [`web`]: the demo live room and operator console pages, and the development endpoints.
//! - [`app`]: the composition root that wires it together and serves.

pub mod api;
pub mod app;
pub mod auth;
pub mod commands;
pub mod config;
pub mod error;
pub mod gateway;
pub mod metrics;
pub mod moderation;
pub mod presence;
pub mod room;
pub mod store;
pub mod web;
pub mod webhook;
