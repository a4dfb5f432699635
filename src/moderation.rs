//! In-memory moderation state the send path checks without touching the database: dirty-word
//! matchers per app, app-wide mutes, and per-group mutes and mute-all. The store is the
//! source of truth; this caches it, loading a group's part on first use and updating on change.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};
use dashmap::DashMap;

use crate::store::{GlobalMute, Store, StoreResult};

/// "Muted for ever" in Tencent's API (u32::MAX seconds).
pub const FOREVER: u64 = u32::MAX as u64;

/// One app's dirty words and the multi-pattern matcher built from them.
#[derive(Default)]
pub struct WordFilter {
    words: Vec<String>,
    matcher: Option<AhoCorasick>,
}

impl WordFilter {
    /// Builds a matcher that ignores ASCII case (other scripts match exactly).
    pub fn new(words: Vec<String>) -> Self {
        let matcher = (!words.is_empty()).then(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostFirst)
                .build(&words)
                .expect("dirty words are plain strings")
        });
        Self { words, matcher }
    }

    /// The first dirty word found in `text`.
    pub fn find(&self, text: &str) -> Option<&str> {
        let m = self.matcher.as_ref()?.find(text)?;
        Some(self.words[m.pattern().as_usize()].as_str())
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }
}

/// What the send path needs to know about a group.
#[derive(Debug, Clone, Default)]
pub struct GroupPolicy {
    pub mute_all: bool,
    pub owner: Option<String>,
    /// Account → Unix second its mute ends (expired entries may linger until read).
    pub muted: HashMap<String, u64>,
    /// Account → Unix second its ban ends.
    pub banned: HashMap<String, u64>,
    /// The group's admins (`modify_admin`), sorted.
    pub admins: Vec<String>,
    /// The group's `HistoryMsgBeforeJoin`; `None` follows the server.
    pub history_before_join: Option<bool>,
}

#[derive(Default)]
pub struct Moderation {
    filters: RwLock<HashMap<u64, Arc<WordFilter>>>,
    global_mutes: DashMap<(u64, String), GlobalMute>,
    groups: DashMap<(u64, String), GroupPolicy>,
}

impl Moderation {
    /// Loads an app's dirty words and app-wide mutes (at start).
    pub async fn load_app(&self, store: &dyn Store, sdkappid: u64) -> StoreResult<()> {
        self.set_words(sdkappid, store.dirty_words(sdkappid).await?);
        for (user, mute) in store.global_mutes(sdkappid).await? {
            self.global_mutes.insert((sdkappid, user), mute);
        }
        Ok(())
    }

    pub fn filter(&self, sdkappid: u64) -> Arc<WordFilter> {
        self.filters.read().expect("filters lock").get(&sdkappid).cloned().unwrap_or_default()
    }

    pub fn set_words(&self, sdkappid: u64, words: Vec<String>) {
        self.filters.write().expect("filters lock").insert(sdkappid, Arc::new(WordFilter::new(words)));
    }

    pub fn global_mute(&self, sdkappid: u64, user: &str) -> GlobalMute {
        self.global_mutes.get(&(sdkappid, user.to_owned())).map(|m| *m).unwrap_or_default()
    }

    pub fn set_global_mute(&self, sdkappid: u64, user: &str, mute: GlobalMute) {
        self.global_mutes.insert((sdkappid, user.to_owned()), mute);
    }

    /// The group's policy, loading it from the store on first use. `owner` and `mute_all`
    /// come from the caller, who has just read the group record.
    pub async fn group(&self, store: &dyn Store, sdkappid: u64, group_id: &str) -> StoreResult<Option<GroupPolicy>> {
        if let Some(policy) = self.groups.get(&(sdkappid, group_id.to_owned())) {
            return Ok(Some(policy.clone()));
        }
        let Some(group) = store.group(sdkappid, group_id).await? else { return Ok(None) };
        let muted = store.group_mutes(sdkappid, group_id).await?.into_iter().collect();
        let banned = store.group_bans(sdkappid, group_id).await?.into_iter().collect();
        let admins = store.group_admins(sdkappid, group_id).await?;
        let policy = GroupPolicy {
            mute_all: group.mute_all,
            owner: group.owner_account,
            muted,
            banned,
            admins,
            history_before_join: group.history_before_join,
        };
        self.groups.insert((sdkappid, group_id.to_owned()), policy.clone());
        Ok(Some(policy))
    }

    /// Applies a change to a cached group policy (no-op if the group is not cached: it will
    /// be read from the store, which the caller has already updated).
    pub fn update_group(&self, sdkappid: u64, group_id: &str, change: impl FnOnce(&mut GroupPolicy)) {
        if let Some(mut policy) = self.groups.get_mut(&(sdkappid, group_id.to_owned())) {
            change(&mut policy);
        }
    }

    pub fn forget_group(&self, sdkappid: u64, group_id: &str) {
        self.groups.remove(&(sdkappid, group_id.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_words_match_in_any_case_and_others_exactly() {
        let filter = WordFilter::new(vec!["badword".into(), "坏话".into()]);
        assert_eq!(filter.find("this has a BadWord in it"), Some("badword"));
        assert_eq!(filter.find("说坏话了"), Some("坏话"));
        assert_eq!(filter.find("clean text"), None);
        assert_eq!(WordFilter::new(Vec::new()).find("anything"), None);
    }
}
