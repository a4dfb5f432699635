//! What the store knows about accounts without asking the database: which accounts exist and,
//! once read, their profile tags. A login and a join read both, and a storm of them would
//! otherwise cost two queries per viewer, each a round trip to a database thread.
//!
//! The database stays the source of truth. Every write of accounts and profiles goes through
//! [`super::SqlStore`], which updates this cache after the write commits. A reader fills the
//! cache only if no invalidation happened since it started reading: it takes
//! [`AccountCache::generation`] before its query and hands it back with the result, and
//! [`AccountCache::forget_profile`] and [`AccountCache::forget_account`] advance the generation.
//! So a fill that raced with a change is dropped instead of keeping the old value. This holds
//! only while one roomcast process writes the database, as for the group policies of
//! `crate::moderation`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

/// Profile tags as (tag, JSON text), sorted by tag, as `Store::profile` returns them.
pub type Profile = Arc<Vec<(String, String)>>;

/// Accounts kept at most; beyond it the cache starts again empty. About 100 bytes an account
/// (more with stored profile tags), so this bounds it near 25 MB while a live room of tens of
/// thousands of viewers stays cached.
const MAX_ACCOUNTS: usize = 250_000;

pub(super) struct AccountCache {
    /// Present: the account exists. `Some`: its profile as stored.
    accounts: DashMap<(u64, Box<str>), Option<Profile>>,
    generation: AtomicU64,
    /// Shared by every account known to have no profile tags (all new accounts).
    empty: Profile,
    capacity: usize,
}

impl Default for AccountCache {
    fn default() -> Self {
        Self::with_capacity(MAX_ACCOUNTS)
    }
}

fn key(sdkappid: u64, user_id: &str) -> (u64, Box<str>) {
    (sdkappid, user_id.into())
}

impl AccountCache {
    fn with_capacity(capacity: usize) -> Self {
        Self { accounts: DashMap::new(), generation: AtomicU64::new(0), empty: Arc::new(Vec::new()), capacity }
    }

    /// Taken before reading the database; see the module documentation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn exists(&self, sdkappid: u64, user_id: &str) -> bool {
        self.accounts.contains_key(&key(sdkappid, user_id))
    }

    /// The cached profile of an existing account.
    pub fn profile(&self, sdkappid: u64, user_id: &str) -> Option<Profile> {
        self.accounts.get(&key(sdkappid, user_id)).and_then(|p| p.clone())
    }

    /// Records that the account exists, as read at `generation`; `created`: this reader made
    /// it, so it has no profile tags yet (profile rows are only written for an existing
    /// account, and deleting an account deletes them).
    pub fn exists_since(&self, generation: u64, sdkappid: u64, user_id: &str, created: bool) {
        if self.accounts.len() >= self.capacity {
            self.clear();
        }
        // Checked under the entry's lock, so an invalidation either comes before (and this
        // gives up) or waits for this to finish (and removes what it wrote).
        let entry = self.accounts.entry(key(sdkappid, user_id));
        if self.generation() == generation {
            let profile = created.then(|| self.empty.clone());
            entry.and_modify(|p| *p = p.take().or_else(|| profile.clone())).or_insert(profile);
        }
    }

    /// Keeps the profile read at `generation`, if the account is known to exist.
    pub fn profile_since(&self, generation: u64, sdkappid: u64, user_id: &str, profile: Vec<(String, String)>) {
        if let Some(mut cached) = self.accounts.get_mut(&key(sdkappid, user_id)) {
            if self.generation() == generation {
                *cached = Some(if profile.is_empty() { self.empty.clone() } else { Arc::new(profile) });
            }
        }
    }

    /// After a profile write committed: the next read goes to the database.
    pub fn forget_profile(&self, sdkappid: u64, user_id: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(mut cached) = self.accounts.get_mut(&key(sdkappid, user_id)) {
            *cached = None;
        }
    }

    /// After an account was deleted: it no longer exists, nor does its profile.
    pub fn forget_account(&self, sdkappid: u64, user_id: &str) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.accounts.remove(&key(sdkappid, user_id));
    }

    /// Dropping entries invalidates nothing: a fill in flight still read the truth.
    fn clear(&self) {
        self.accounts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(nick: &str) -> Vec<(String, String)> {
        vec![("Tag_Profile_IM_Nick".into(), format!("{nick:?}"))]
    }

    #[test]
    fn a_created_account_exists_with_an_empty_profile() {
        let cache = AccountCache::default();
        assert!(!cache.exists(1, "a"));
        cache.exists_since(cache.generation(), 1, "a", true);
        assert!(cache.exists(1, "a"));
        assert!(!cache.exists(2, "a"));
        assert_eq!(cache.profile(1, "a").as_deref(), Some(&Vec::new()));
    }

    #[test]
    fn an_existing_account_has_no_cached_profile_until_read() {
        let cache = AccountCache::default();
        cache.exists_since(cache.generation(), 1, "a", false);
        assert!(cache.exists(1, "a"));
        assert_eq!(cache.profile(1, "a"), None);
        cache.profile_since(cache.generation(), 1, "a", tags("A"));
        assert_eq!(cache.profile(1, "a").as_deref(), Some(&tags("A")));
        // Learning again that it exists keeps the profile.
        cache.exists_since(cache.generation(), 1, "a", false);
        assert_eq!(cache.profile(1, "a").as_deref(), Some(&tags("A")));
    }

    #[test]
    fn profiles_of_unknown_accounts_are_not_kept() {
        let cache = AccountCache::default();
        cache.profile_since(cache.generation(), 1, "ghost", tags("G"));
        assert!(!cache.exists(1, "ghost"));
        assert_eq!(cache.profile(1, "ghost"), None);
    }

    #[test]
    fn changes_forget_what_was_cached() {
        let cache = AccountCache::default();
        cache.exists_since(cache.generation(), 1, "a", true);
        cache.forget_profile(1, "a");
        assert!(cache.exists(1, "a"));
        assert_eq!(cache.profile(1, "a"), None);
        cache.forget_account(1, "a");
        assert!(!cache.exists(1, "a"));
    }

    #[test]
    fn a_read_that_raced_with_a_change_is_dropped() {
        let cache = AccountCache::default();
        cache.exists_since(cache.generation(), 1, "a", false);
        let before = cache.generation();
        // A profile write commits while the read is in flight.
        cache.forget_profile(1, "a");
        cache.profile_since(before, 1, "a", tags("old"));
        assert_eq!(cache.profile(1, "a"), None);
        // A delete commits while an import is in flight.
        let before = cache.generation();
        cache.forget_account(1, "b");
        cache.exists_since(before, 1, "b", true);
        assert!(!cache.exists(1, "b"));
    }

    #[test]
    fn a_full_cache_starts_again() {
        let cache = AccountCache::with_capacity(2);
        for user in ["a", "b", "c"] {
            cache.exists_since(cache.generation(), 1, user, true);
        }
        assert!(!cache.exists(1, "a"));
        assert!(cache.exists(1, "c"));
    }
}
