//! The command layer shared by every transport.
//!
//! A transport authenticates the caller into a [`Principal`], then calls
//! [`dispatch`]`(ctx, principal, service, command, body)`. Names and JSON bodies are Tencent's,
//! so the REST API (`/v4/<service>/<command>`) and the WebSocket gateway
//! (`servcmd = <service>.<command>`) reach the same handlers. A handler returns the result
//! fields; the transport wraps them in its envelope.

mod account;
mod admins;
mod attributes;
mod bans;
mod broadcast;
pub mod events;
mod group;
mod group_info;
mod membership;
pub use membership::PollAnswer;
mod message;
mod moderation;
pub mod msg_body;
mod profile;
mod stats;
pub mod validate;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::auth::ticket::TicketAuthority;
use crate::auth::{AppRegistry, Principal};
use crate::error::{ImError, ImResult, code};
use crate::moderation::Moderation;
use crate::presence::{Instance, Presence};
use crate::room::Rooms;
use crate::store::{Store, StoreError};
use crate::webhook::{Origin, Webhooks};

/// Result fields of a successful command, without the envelope.
pub type Reply = Map<String, Value>;

/// What every command may use.
pub struct Context {
    pub store: Arc<dyn Store>,
    pub apps: Arc<AppRegistry>,
    pub rooms: Rooms,
    pub presence: Presence,
    pub tickets: TicketAuthority,
    pub webhooks: Arc<Webhooks>,
    pub moderation: Moderation,
    pub history: HistorySettings,
    pub broadcasts: broadcast::Broadcasts,
    pub attributes: attributes::AttributeCache,
}

/// What joiners are handed of a room's past (server-wide defaults).
#[derive(Debug, Clone, Copy, Default)]
pub struct HistorySettings {
    pub on_by_default: bool,
    pub messages: usize,
}

/// Who sent a command, and from which SDK instance (gateway requests only).
pub struct Caller {
    pub principal: Principal,
    pub instance: Option<Arc<Instance>>,
    /// Where the request came from, for callbacks.
    pub origin: Origin,
}

impl Caller {
    /// A REST caller: an administrator, no SDK instance.
    pub fn rest(principal: Principal, client_ip: String) -> Self {
        let origin = Origin::rest(principal.sdkappid(), client_ip);
        Self { principal, instance: None, origin }
    }
}

impl Context {
    /// Unix seconds now.
    pub fn now(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }
}

/// Every command roomcast answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    AccountImport,
    MultiAccountImport,
    AccountDelete,
    AccountCheck,
    PortraitSet,
    PortraitGet,
    CreateGroup,
    DestroyGroup,
    GetGroupInfo,
    ModifyGroupBaseInfo,
    GetAppidGroupList,
    Kick,
    PortraitGetAll,
    ApplyJoinGroup,
    ApplyJoinGroupAnonymous,
    QuitGroup,
    GetGroupSelfMemberInfo,
    GetOnlineMemberNum,
    SendGroupMsg,
    SendGroupSystemNotification,
    LongPollGetMsg,
    GetMembers,
    CheckMembers,
    ForbidSendMsg,
    GetGroupMutedAccount,
    GetGroupShuttedUin,
    SetNoSpeaking,
    GetNoSpeaking,
    DeleteGroupMember,
    DirtyWordsGet,
    DirtyWordsAdd,
    DirtyWordsDelete,
    BanGroupMember,
    UnbanGroupMember,
    GetGroupBanMember,
    ModifyAdmin,
    GetAdminList,
    SendBroadcastMsg,
    GetGroupAttr,
    ModifyGroupAttr,
    SetGroupAttr,
    DeleteGroupAttr,
    ClearGroupAttr,
    GetRoomStats,
}

/// The error codes a service uses for a bad body, bad parameters and its own faults.
#[derive(Debug, Clone, Copy)]
pub struct ServiceCodes {
    pub parse: u32,
    pub bad_param: u32,
    pub internal: u32,
    pub no_permission: u32,
}

impl ServiceCodes {
    pub fn of(service: &str) -> Self {
        let (parse, bad_param, internal, no_permission) = match service {
            "im_open_login_svc" => {
                (code::JSON_PARSE, code::ACCOUNT_BAD_PARAM, code::ACCOUNT_INTERNAL, code::ACCOUNT_NOT_ADMIN)
            }
            "profile" => (code::JSON_PARSE, code::PROFILE_BAD_PARAM, code::PROFILE_INTERNAL, code::PROFILE_NOT_ADMIN),
            s if is_group_service(s) => {
                (code::GROUP_JSON_PARSE, code::GROUP_BAD_PARAM, code::GROUP_INTERNAL, code::GROUP_NO_PERMISSION)
            }
            _ => (code::JSON_PARSE, code::BAD_HTTP_REQUEST, code::BAD_HTTP_REQUEST, code::NOT_APP_ADMIN),
        };
        Self { parse, bad_param, internal, no_permission }
    }
}

fn is_group_service(service: &str) -> bool {
    service.starts_with("group_open_")
}

impl Command {
    /// Finds a command. Unknown: 10003 inside a group service, 60009 elsewhere.
    pub fn lookup(service: &str, command: &str) -> ImResult<Command> {
        use Command::*;
        let found = match (service, command) {
            ("im_open_login_svc", "account_import") => AccountImport,
            ("im_open_login_svc", "multiaccount_import") => MultiAccountImport,
            ("im_open_login_svc", "account_delete") => AccountDelete,
            ("im_open_login_svc", "account_check") => AccountCheck,
            ("profile", "portrait_set") => PortraitSet,
            ("profile", "portrait_get") => PortraitGet,
            ("group_open_http_svc", "create_group") => CreateGroup,
            ("group_open_http_svc", "destroy_group") => DestroyGroup,
            ("group_open_http_svc", "get_group_info") => GetGroupInfo,
            ("group_open_http_svc", "modify_group_base_info") => ModifyGroupBaseInfo,
            ("group_open_http_svc", "get_appid_group_list") => GetAppidGroupList,
            ("im_open_login_svc", "kick") => Kick,
            ("profile", "portrait_get_all") => PortraitGetAll,
            ("group_open_http_svc", "apply_join_group") => ApplyJoinGroup,
            ("group_open_http_noauth_svc", "apply_join_group") => ApplyJoinGroupAnonymous,
            ("group_open_http_svc", "quit_group") => QuitGroup,
            ("group_open_http_svc", "get_group_self_member_info") => GetGroupSelfMemberInfo,
            ("group_open_http_svc" | "group_open_http_noauth_svc", "get_online_member_num") => GetOnlineMemberNum,
            ("group_open_http_svc", "send_group_msg") => SendGroupMsg,
            ("group_open_http_svc", "send_group_system_notification") => SendGroupSystemNotification,
            ("group_open_long_polling_http_svc" | "group_open_long_polling_http_noauth_svc", "get_msg") => {
                LongPollGetMsg
            }
            ("group_open_avchatroom_http_svc", "get_members") => GetMembers,
            ("group_open_avchatroom_http_svc", "check_members") => CheckMembers,
            ("group_open_http_svc", "forbid_send_msg") => ForbidSendMsg,
            ("group_open_http_svc", "get_group_muted_account") => GetGroupMutedAccount,
            ("group_open_http_svc", "get_group_shutted_uin") => GetGroupShuttedUin,
            ("group_open_http_svc", "delete_group_member") => DeleteGroupMember,
            ("openconfigsvr", "setnospeaking") => SetNoSpeaking,
            ("openconfigsvr", "getnospeaking") => GetNoSpeaking,
            ("group_open_http_svc", "ban_group_member") => BanGroupMember,
            ("group_open_http_svc", "unban_group_member") => UnbanGroupMember,
            ("group_open_http_svc", "get_group_ban_member") => GetGroupBanMember,
            ("group_open_http_svc", "send_broadcast_msg") => SendBroadcastMsg,
            ("group_open_attr_http_svc" | "group_open_http_svc", "get_group_attr") => GetGroupAttr,
            ("group_open_http_svc", "modify_group_attr") => ModifyGroupAttr,
            ("group_open_http_svc", "set_group_attr") => SetGroupAttr,
            ("group_open_http_svc", "delete_group_attr") => DeleteGroupAttr,
            ("group_open_http_svc", "clear_group_attr") => ClearGroupAttr,
            ("group_open_avchatroom_http_svc", "modify_admin") => ModifyAdmin,
            ("group_open_avchatroom_http_svc", "get_admin_list") => GetAdminList,
            ("openim_dirty_words", "get") => DirtyWordsGet,
            ("openim_dirty_words", "add") => DirtyWordsAdd,
            ("openim_dirty_words", "delete") => DirtyWordsDelete,
            ("roomcast", "get_room_stats") => GetRoomStats,
            (s, c) if is_group_service(s) => {
                return Err(ImError::new(code::GROUP_UNKNOWN_COMMAND, format!("command {s}/{c} is not supported")));
            }
            (s, c) => {
                return Err(ImError::new(
                    code::UNKNOWN_COMMAND,
                    format!("service or command {s}/{c} is not supported"),
                ));
            }
        };
        Ok(found)
    }

    /// Whether `principal` may call this command.
    fn allows(self, principal: &Principal) -> bool {
        use Command::*;
        match principal {
            Principal::Admin { .. } => {
                !matches!(self, ApplyJoinGroup | ApplyJoinGroupAnonymous | QuitGroup | LongPollGetMsg | PortraitGetAll)
            }
            Principal::User { .. } => matches!(
                self,
                PortraitSet
                    | PortraitGetAll
                    | ApplyJoinGroup
                    | ApplyJoinGroupAnonymous
                    | QuitGroup
                    | GetGroupSelfMemberInfo
                    | GetOnlineMemberNum
                    | SendGroupMsg
                    | LongPollGetMsg
                    | GetGroupAttr
                    | ModifyGroupAttr
                    | SetGroupAttr
                    | DeleteGroupAttr
                    | ClearGroupAttr
            ),
            Principal::Guest { .. } => matches!(self, ApplyJoinGroupAnonymous | GetOnlineMemberNum | LongPollGetMsg),
        }
    }
}

/// The long-poll (`get_msg`) for `caller`, answered with the items' serialised JSON so the
/// transport can splice them: a held poll is answered to every anonymous viewer several times
/// a second, and parsing each item again per answer would dominate the server's work.
pub async fn long_poll(ctx: &Context, caller: &Caller, service: &str, body: &[u8]) -> ImResult<PollAnswer> {
    let codes = ServiceCodes::of(service);
    if !Command::LongPollGetMsg.allows(&caller.principal) {
        return Err(ImError::new(codes.no_permission, format!("{service}.get_msg is an SDK command")));
    }
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| ImError::new(codes.parse, format!("request body is not valid JSON: {e}")))?;
    let call = Call {
        ctx,
        principal: &caller.principal,
        instance: caller.instance.as_ref(),
        origin: &caller.origin,
        codes,
        body,
    };
    membership::poll_items(&call).await
}

/// Runs one command for `caller` with the raw JSON `body`.
pub async fn dispatch(ctx: &Context, caller: &Caller, service: &str, command: &str, body: &[u8]) -> ImResult<Reply> {
    let cmd = Command::lookup(service, command)?;
    let codes = ServiceCodes::of(service);
    let principal = &caller.principal;
    if !cmd.allows(principal) {
        return Err(match principal {
            Principal::Admin { .. } => ImError::new(codes.bad_param, format!("{service}.{command} is an SDK command")),
            Principal::User { .. } => {
                ImError::new(codes.no_permission, format!("{service}/{command} needs an App administrator"))
            }
            Principal::Guest { .. } => {
                ImError::new(codes.no_permission, format!("{service}.{command} needs a logged-in user"))
            }
        });
    }
    // Tencent asks for `{}` when there are no parameters; an empty body means the same.
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ImError::new(codes.parse, format!("request body is not valid JSON: {e}")))?
    };
    if !body.is_object() {
        return Err(ImError::new(codes.parse, "request body must be a JSON object"));
    }
    let call = Call { ctx, principal, instance: caller.instance.as_ref(), origin: &caller.origin, codes, body };
    match cmd {
        Command::AccountImport => account::import(call).await,
        Command::MultiAccountImport => account::multi_import(call).await,
        Command::AccountDelete => account::delete(call).await,
        Command::AccountCheck => account::check(call).await,
        Command::PortraitSet => profile::set(call).await,
        Command::PortraitGet => profile::get(call).await,
        Command::CreateGroup => group::create(call).await,
        Command::DestroyGroup => group::destroy(call).await,
        Command::ModifyGroupBaseInfo => group::modify_base_info(call).await,
        Command::GetGroupInfo => group_info::get_group_info(call).await,
        Command::GetAppidGroupList => group_info::get_appid_group_list(call).await,
        Command::Kick => account::kick(call).await,
        Command::PortraitGetAll => profile::get_all(call).await,
        Command::ApplyJoinGroup => membership::join(call, false).await,
        Command::ApplyJoinGroupAnonymous => membership::join(call, true).await,
        Command::QuitGroup => membership::quit(call).await,
        Command::GetGroupSelfMemberInfo => membership::self_member_info(call).await,
        Command::GetOnlineMemberNum => membership::online_member_num(call).await,
        Command::LongPollGetMsg => membership::long_poll(call).await,
        Command::GetMembers => membership::get_members(call).await,
        Command::CheckMembers => membership::check_members(call).await,
        Command::SendGroupMsg => message::send_group_msg(call).await,
        Command::SendGroupSystemNotification => message::send_system_notification(call).await,
        Command::ForbidSendMsg => moderation::forbid_send_msg(call).await,
        Command::GetGroupMutedAccount => moderation::get_muted_accounts(call, false).await,
        Command::GetGroupShuttedUin => moderation::get_muted_accounts(call, true).await,
        Command::DeleteGroupMember => moderation::delete_group_member(call),
        Command::SetNoSpeaking => moderation::set_no_speaking(call).await,
        Command::GetNoSpeaking => moderation::get_no_speaking(call).await,
        Command::BanGroupMember => bans::ban(call).await,
        Command::UnbanGroupMember => bans::unban(call).await,
        Command::GetGroupBanMember => bans::list(call).await,
        Command::GetGroupAttr => attributes::get(call).await,
        Command::ModifyGroupAttr => attributes::modify(call).await,
        Command::SetGroupAttr => attributes::set(call).await,
        Command::DeleteGroupAttr => attributes::delete(call).await,
        Command::ClearGroupAttr => attributes::clear(call).await,
        Command::SendBroadcastMsg => broadcast::send_broadcast_msg(call).await,
        Command::ModifyAdmin => admins::modify_admin(call).await,
        Command::GetAdminList => admins::get_admin_list(call).await,
        Command::DirtyWordsGet => moderation::dirty_words_get(call).await,
        Command::DirtyWordsAdd => moderation::dirty_words_change(call, true).await,
        Command::DirtyWordsDelete => moderation::dirty_words_change(call, false).await,
        Command::GetRoomStats => stats::get_room_stats(call),
    }
}

/// One command invocation, handed to a handler.
pub(crate) struct Call<'a> {
    pub ctx: &'a Context,
    pub principal: &'a Principal,
    pub instance: Option<&'a Arc<Instance>>,
    pub origin: &'a Origin,
    pub codes: ServiceCodes,
    body: Value,
}

impl Call<'_> {
    pub fn sdkappid(&self) -> u64 {
        self.principal.sdkappid()
    }

    /// Decodes the body into the command's request type; mismatches are bad parameters.
    pub fn request<T: DeserializeOwned>(&self) -> ImResult<T> {
        T::deserialize(&self.body).map_err(|e| ImError::new(self.codes.bad_param, format!("invalid request: {e}")))
    }

    pub fn bad_param(&self, info: impl Into<std::borrow::Cow<'static, str>>) -> ImError {
        ImError::new(self.codes.bad_param, info)
    }

    /// Maps a storage failure to this service's internal-error code.
    pub fn internal(&self, e: StoreError) -> ImError {
        ImError::internal(self.codes.internal, e)
    }
}

/// Builds a reply from `(name, value)` pairs.
pub(crate) fn reply<const N: usize>(fields: [(&str, Value); N]) -> Reply {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
