//! The per-SDKAppID REST frequency limit (Tencent: 200 calls/s by default, then 60007).

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota};

pub struct AppRateLimiter {
    limiter: DefaultKeyedRateLimiter<u64>,
}

impl AppRateLimiter {
    /// `per_sec` calls each second, with a burst of the same size.
    pub fn new(per_sec: u32) -> Self {
        let per_sec = NonZeroU32::new(per_sec).unwrap_or(NonZeroU32::MIN);
        Self { limiter: DefaultKeyedRateLimiter::keyed(Quota::per_second(per_sec)) }
    }

    /// True when one more call of `sdkappid` fits in the limit.
    pub fn admit(&self, sdkappid: u64) -> bool {
        self.limiter.check_key(&sdkappid).is_ok()
    }
}
