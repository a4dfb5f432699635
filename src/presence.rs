//! Who is online: SDK instances, the rooms each has joined, and the login policy.
//!
//! An SDK instance is named by the `instanceid` of its socket URL and outlives a socket: when
//! the socket drops, the instance keeps its rooms for a grace period and a reconnect with the
//! same `instanceid` re-binds to it (the SDK does not re-join after a reconnect). When the
//! grace period passes without a socket, the instance leaves its rooms.
//!
//! Login policy (`gateway.multi_login`): by default, as Tencent does for the Web, one logged-in
//! instance per user, and a newer login kicks the older one (`KickType` 1); `allow` lets a user
//! log in any number of times. A REST kick ends every instance (`KickType` 3).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use dashmap::DashMap;
use serde_json::json;

use crate::config::MultiLogin;
use crate::room::{Member, Outbox, Outgoing, Room};

/// How a kicked instance is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KickType {
    /// Another login of the same user.
    MultipleAccount = 1,
    /// REST `im_open_login_svc/kick`.
    RestApi = 3,
}

/// The `stat_forceoffline` push the SDK turns into KICKED_OUT.
pub fn kick_frame(kick: KickType) -> Bytes {
    let frame = json!({
        "head": {"servcmd": "im_open_status.stat_forceoffline", "seq": 0},
        "body": {"EventArray": [{"Event": 9, "C2cNotifyMsgArray": [{"KickoutMsgNotify": {"KickType": kick as u32, "NewInstInfo": {}}}]}]},
    });
    Bytes::from(serde_json::to_vec(&frame).expect("a frame serialises"))
}

/// A room an instance has joined, and the long-poll key if it polls.
#[derive(Clone)]
pub struct Joined {
    pub room: Arc<Room>,
    pub poll_key: Option<String>,
    /// The room's next seq when the instance joined: where a first poll with `StartSeq` 0
    /// starts, so nothing published between the join and the first poll is lost.
    pub joined_at_seq: u64,
    /// Where a long-poller's first poll starts: `joined_at_seq`, or the oldest history message
    /// it is handed (below `joined_at_seq` it gets messages only, not old tips).
    pub history_from: u64,
}

/// One SDK instance.
pub struct Instance {
    pub sdkappid: u64,
    pub id: Arc<str>,
    pub outbox: Arc<Outbox>,
    user: Mutex<Option<String>>,
    joined: Mutex<HashMap<String, Joined>>,
    /// Bumped whenever a socket attaches; a grace timer only expires the attachment it saw.
    attachment: AtomicU64,
    attached: AtomicU64,
}

impl Instance {
    pub fn user(&self) -> Option<String> {
        self.user.lock().expect("instance lock").clone()
    }

    pub fn set_user(&self, user: Option<String>) {
        *self.user.lock().expect("instance lock") = user;
    }

    pub fn joined(&self, group_id: &str) -> Option<Joined> {
        self.joined.lock().expect("instance lock").get(group_id).cloned()
    }

    /// The room a long-poll key belongs to.
    pub fn joined_by_key(&self, key: &str) -> Option<Joined> {
        self.joined.lock().expect("instance lock").values().find(|j| j.poll_key.as_deref() == Some(key)).cloned()
    }

    pub fn add_joined(&self, group_id: &str, joined: Joined) {
        self.joined.lock().expect("instance lock").insert(group_id.to_owned(), joined);
    }

    pub fn remove_joined(&self, group_id: &str) -> Option<Joined> {
        self.joined.lock().expect("instance lock").remove(group_id)
    }

    /// Updates the sender profile this instance's messages carry in every joined room.
    pub fn update_profile(&self, nick: Option<&str>, avatar: Option<&str>) {
        for joined in self.joined.lock().expect("instance lock").values() {
            joined.room.update_member_profile(&self.id, nick, avatar);
        }
    }

    /// Leaves every room; returns what each room said the member was.
    pub fn leave_all(&self) -> Vec<(Arc<Room>, Member)> {
        let joined: Vec<Joined> = self.joined.lock().expect("instance lock").drain().map(|(_, j)| j).collect();
        joined.into_iter().filter_map(|j| j.room.leave(&self.id).map(|m| (j.room, m))).collect()
    }
}

/// Every live instance, and the logged-in web instance of each user.
pub struct Presence {
    instances: DashMap<(u64, Arc<str>), Arc<Instance>>,
    /// The logged-in instances of each user (one under `kick_older`).
    logins: DashMap<(u64, String), Vec<Arc<str>>>,
    outbox_capacity: usize,
    policy: MultiLogin,
}

impl Presence {
    pub fn new(outbox_capacity: usize, policy: MultiLogin) -> Self {
        Self { instances: DashMap::new(), logins: DashMap::new(), outbox_capacity, policy }
    }

    fn forget_login(&self, sdkappid: u64, user: String, instance: &str) {
        if let Some(mut ids) = self.logins.get_mut(&(sdkappid, user.clone())) {
            ids.retain(|id| &**id != instance);
        }
        self.logins.remove_if(&(sdkappid, user), |_, ids| ids.is_empty());
    }

    pub fn get(&self, sdkappid: u64, id: &str) -> Option<Arc<Instance>> {
        self.instances.get(&(sdkappid, id.into())).map(|i| i.clone())
    }

    /// Finds or creates the instance and marks a socket attached. Returns it with the
    /// attachment number the caller must hand back to [`Presence::detach`].
    pub fn attach(&self, sdkappid: u64, id: &str) -> (Arc<Instance>, u64) {
        let instance = self
            .instances
            .entry((sdkappid, id.into()))
            .or_insert_with(|| {
                Arc::new(Instance {
                    sdkappid,
                    id: id.into(),
                    outbox: Outbox::new(self.outbox_capacity),
                    user: Mutex::new(None),
                    joined: Mutex::new(HashMap::new()),
                    attachment: AtomicU64::new(0),
                    attached: AtomicU64::new(0),
                })
            })
            .clone();
        let n = instance.attachment.fetch_add(1, Ordering::SeqCst) + 1;
        instance.attached.store(n, Ordering::SeqCst);
        (instance, n)
    }

    /// The socket of attachment `n` is gone. Returns true if no newer socket took over, in
    /// which case the caller starts the grace period.
    pub fn detach(&self, instance: &Instance, n: u64) -> bool {
        instance.attached.compare_exchange(n, 0, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }

    /// After the grace period: if still detached since attachment `n`, the instance leaves its
    /// rooms and is forgotten. Returns what it left, or `None` if a socket came back.
    pub fn expire(&self, instance: &Arc<Instance>, n: u64) -> Option<Vec<(Arc<Room>, Member)>> {
        if instance.attached.load(Ordering::SeqCst) != 0 || instance.attachment.load(Ordering::SeqCst) != n {
            return None;
        }
        self.instances.remove(&(instance.sdkappid, instance.id.clone()));
        if let Some(user) = instance.user() {
            self.forget_login(instance.sdkappid, user, &instance.id);
        }
        Some(instance.leave_all())
    }

    /// Records a login of `user` on `instance`; under `kick_older`, ends the user's other login.
    pub fn login(&self, instance: &Arc<Instance>, user: &str) -> Vec<(Arc<Room>, Member)> {
        instance.set_user(Some(user.to_owned()));
        let older: Vec<Arc<str>> = {
            let mut ids = self.logins.entry((instance.sdkappid, user.to_owned())).or_default();
            if !ids.contains(&instance.id) {
                ids.push(instance.id.clone());
            }
            match self.policy {
                MultiLogin::Allow => Vec::new(),
                MultiLogin::KickOlder => {
                    let older = ids.iter().filter(|id| **id != instance.id).cloned().collect();
                    ids.retain(|id| *id == instance.id);
                    older
                }
            }
        };
        older.iter().flat_map(|old| self.kick_instance(instance.sdkappid, old, KickType::MultipleAccount)).collect()
    }

    /// Logs an instance out: it leaves its rooms and stops being the user's active login.
    pub fn logout(&self, instance: &Arc<Instance>) -> Vec<(Arc<Room>, Member)> {
        if let Some(user) = instance.user() {
            self.forget_login(instance.sdkappid, user, &instance.id);
        }
        instance.set_user(None);
        instance.leave_all()
    }

    /// Whether `instance` is the user's current login (tickets of kicked instances are not).
    pub fn is_active_login(&self, sdkappid: u64, user: &str, instance: &str) -> bool {
        self.logins.get(&(sdkappid, user.to_owned())).is_some_and(|ids| ids.iter().any(|id| &**id == instance))
    }

    /// Closes the sockets of the user's logged-in instance without ending its login: the SDK
    /// reconnects and carries on (used by operators and by reconnect tests).
    pub fn disconnect_user(&self, sdkappid: u64, user: &str) -> bool {
        let ids = self.logins.get(&(sdkappid, user.to_owned())).map(|ids| ids.clone()).unwrap_or_default();
        let mut any = false;
        for id in ids {
            if let Some(instance) = self.instances.get(&(sdkappid, id)) {
                any |= instance.outbox.offer(Outgoing::Close);
            }
        }
        any
    }

    /// Kicks every instance of `user` (REST kick).
    pub fn kick_user(&self, sdkappid: u64, user: &str) -> Vec<(Arc<Room>, Member)> {
        let ids = self.logins.remove(&(sdkappid, user.to_owned())).map(|(_, ids)| ids).unwrap_or_default();
        ids.iter().flat_map(|id| self.kick_instance(sdkappid, id, KickType::RestApi)).collect()
    }

    fn kick_instance(&self, sdkappid: u64, id: &Arc<str>, kick: KickType) -> Vec<(Arc<Room>, Member)> {
        let Some(instance) = self.instances.get(&(sdkappid, id.clone())).map(|i| i.clone()) else {
            return Vec::new();
        };
        instance.set_user(None);
        instance.outbox.offer(Outgoing::Frame(kick_frame(kick)));
        instance.leave_all()
    }
}
