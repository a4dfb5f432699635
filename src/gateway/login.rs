//! `im_open_status`: login with a UserSig or an A2 ticket, logout, and the per-request
//! authentication by A2 ticket that every later request goes through.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::Gateway;
use super::frame::Head;
use crate::auth::ticket::{Ticket, TicketError, tiny_id};
use crate::auth::{AppEntry, Principal, usersig};
use crate::commands::events::{self, ExitType};
use crate::error::{ImError, ImResult, code};
use crate::presence::Instance;
use crate::webhook::Origin;

fn ticket_error(e: TicketError) -> ImError {
    let code = match e {
        TicketError::Expired => code::SIG_EXPIRED,
        TicketError::Revoked => code::SIG_INVALIDATED,
        TicketError::Malformed | TicketError::BadSignature => code::SIG_MALFORMED,
    };
    ImError::new(code, e.to_string())
}

impl Gateway {
    /// Checks the head's A2 ticket, which must belong to this SDK instance and still be the
    /// user's current login.
    fn ticket(&self, app: &AppEntry, instance: &Instance, head: &Head) -> ImResult<Ticket> {
        let ticket = self.ctx.tickets.verify(&app.secret_key, &head.a2, self.ctx.now()).map_err(ticket_error)?;
        if ticket.sdkappid != app.sdkappid || *ticket.instance != *instance.id {
            return Err(ImError::new(code::SIG_MALFORMED, "A2 ticket belongs to another SDK instance"));
        }
        Ok(ticket)
    }

    /// Who sent a request: a logged-in user (valid `a2`) or an anonymous guest (no `a2`).
    pub(super) fn authenticate(&self, app: &AppEntry, instance: &Instance, head: &Head) -> ImResult<Principal> {
        if head.a2.is_empty() {
            return Ok(Principal::Guest { sdkappid: app.sdkappid });
        }
        let ticket = self.ticket(app, instance, head)?;
        if !self.ctx.presence.is_active_login(app.sdkappid, &ticket.user_id, &instance.id) {
            return Err(ImError::new(code::SIG_INVALIDATED, "this login was ended (kicked or logged out)"));
        }
        Ok(Principal::User { sdkappid: app.sdkappid, user_id: ticket.user_id })
    }

    /// `wslogin`: with `identifier` + `usersig` (first login) or `a2` + `tinyid` (after a
    /// reconnect). A newer login of the same user ends the older web instance.
    pub(super) async fn login(
        &self,
        app: &AppEntry,
        instance: &Arc<Instance>,
        origin: &Origin,
        head: &Head,
    ) -> ImResult<Map<String, Value>> {
        let now = self.ctx.now();
        let user_id = if !head.a2.is_empty() && head.usersig.is_empty() {
            self.ticket(app, instance, head)?.user_id
        } else {
            if head.identifier.is_empty() {
                return Err(ImError::new(code::BAD_IDENTIFIER_OR_SIG, "identifier is missing"));
            }
            crate::commands::validate::user_id(&head.identifier)
                .map_err(|why| ImError::new(code::ACCOUNT_BAD_PARAM, why))?;
            usersig::verify(&head.usersig, app.sdkappid, &app.secret_key, &head.identifier, now)?;
            // As with Tencent, an account comes into being at its first login.
            self.ctx
                .store
                .import_account(app.sdkappid, &head.identifier, now)
                .await
                .map_err(|e| ImError::internal(code::ACCOUNT_INTERNAL, e))?;
            head.identifier.clone()
        };
        let replaced = self.ctx.presence.login(instance, &user_id);
        events::members_left(&self.ctx, origin, &replaced, ExitType::Quit, None);
        events::state_changed(&self.ctx, origin, &user_id, "Login", "Register");
        let inst_id = u64::from(rand::random::<u32>());
        let ticket = Ticket {
            sdkappid: app.sdkappid,
            user_id: user_id.clone(),
            instance: instance.id.to_string(),
            inst_id,
            expires_at: now + self.config.ticket_ttl_secs,
            generation: self.ctx.tickets.generation(app.sdkappid, &user_id),
        };
        tracing::debug!(user = %user_id, instance = %instance.id, "login");
        let fields = json!({
            "A2Key": self.ctx.tickets.issue(&app.secret_key, &ticket),
            "TinyId": tiny_id(app.sdkappid, &user_id),
            "InstId": inst_id,
            "HelloInterval": self.config.hello_interval_secs,
            "TimeStamp": now,
        });
        Ok(fields.as_object().cloned().expect("an object"))
    }

    /// `wslogout`: the instance leaves its rooms and is anonymous again; the socket stays.
    pub(super) fn logout(
        &self,
        app: &AppEntry,
        instance: &Arc<Instance>,
        origin: &Origin,
        head: &Head,
    ) -> ImResult<Map<String, Value>> {
        // A kicked instance logs out too; its ticket no longer works, and that is fine.
        if let (Ok(_), Some(user)) = (self.ticket(app, instance, head), instance.user()) {
            let left = self.ctx.presence.logout(instance);
            events::members_left(&self.ctx, origin, &left, ExitType::Quit, None);
            events::state_changed(&self.ctx, origin, &user, "Logout", "Unregister");
        }
        Ok(Map::new())
    }
}
