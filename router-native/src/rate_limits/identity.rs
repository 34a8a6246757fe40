//! Whom a request counts against: the REST shim's answer to POST /internal/introspect for
//! the request's credentials and client address (as router-config/identity.ts asks it),
//! cached per (credentials, address).
//!
//! No request waits on an entry that is about to expire: once an answer is `refresh_ms` old,
//! the next request starts one background refresh and is answered from the cache, as are all
//! requests until the refresh lands. If the shim does not answer, the cached answer is still
//! served until `fresh_ms + grace_ms` after it was fetched (then the caller counts by address,
//! as identity.ts does while the shim is away). Only a first question for credentials waits,
//! and every request that asks it meanwhile shares the one answer (single flight).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::{future::Shared, FutureExt};
use serde::Deserialize;

use super::warn::Warner;

pub const TIERS: [&str; 3] = [
    "authenticated_user",
    "api_integration",
    "premium_integration",
];
const MAX_CACHED: usize = 10_000;

/// A caller to count (its bucket and tier), or credentials that did not verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    Caller { bucket: String, tier: &'static str },
    Refused(String),
}

pub fn by_address(address: Option<&str>) -> Identity {
    Identity::Caller {
        bucket: format!("ip:{}", address.unwrap_or("unknown")),
        tier: TIERS[0],
    }
}

/// The credential headers of a request (authorization, x-api-key, x-api-secret), trimmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Credentials {
    pub authorization: Option<String>,
    pub api_key: Option<String>,
    pub api_secret: Option<String>,
}

impl Credentials {
    pub fn any(&self) -> bool {
        self.authorization.is_some() || self.api_key.is_some()
    }
}

#[derive(Deserialize, Clone, Debug)]
pub struct IdentityConfig {
    pub url: String,
    pub router_secret: String,
    /// An answer is reused this long without a question.
    pub fresh_ms: u64,
    /// From this age on, a request starts a background refresh (one at a time).
    pub refresh_ms: u64,
    /// After fresh_ms, the answer is still served this long while the shim does not answer.
    pub grace_ms: u64,
    /// How long the shim is left alone after it did not answer a first question.
    pub retry_ms: u64,
    pub timeout_ms: u64,
}

type Key = (Credentials, Option<String>);
type Pending = Shared<futures::future::BoxFuture<'static, Option<Identity>>>;

enum Slot {
    Ready {
        answer: Identity,
        fetched: Instant,
        refreshing: bool,
        /// No background refresh before this (the last one failed).
        next_try: Instant,
    },
    Asking(Pending),
}

struct Inner {
    config: IdentityConfig,
    timings: Timings,
    client: reqwest::Client,
    cache: Mutex<HashMap<Key, Slot>>,
    down_until: Mutex<Option<Instant>>,
    warner: Warner,
}

#[derive(Clone, Copy)]
struct Timings {
    refresh: Duration,
    stale: Duration,
    retry: Duration,
}

#[derive(Clone)]
pub struct Identities {
    inner: Arc<Inner>,
}

impl Identities {
    pub fn new(config: IdentityConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .build()?;
        let timings = Timings {
            refresh: Duration::from_millis(config.refresh_ms.min(config.fresh_ms)),
            stale: Duration::from_millis(config.fresh_ms + config.grace_ms),
            retry: Duration::from_millis(config.retry_ms),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                timings,
                client,
                cache: Mutex::new(HashMap::new()),
                down_until: Mutex::new(None),
                warner: Warner::new(
                    "auth_unavailable",
                    "the REST shim did not say who the caller is; counting by address",
                ),
            }),
        })
    }

    /// Who to count for these credentials from this address.
    pub async fn identify(&self, credentials: Credentials, address: Option<String>) -> Identity {
        if !credentials.any() {
            return by_address(address.as_deref());
        }
        let fallback = by_address(address.as_deref());
        let key: Key = (credentials, address);
        let now = Instant::now();
        let t = self.inner.timings;
        let pending = {
            let mut cache = self.inner.cache.lock().expect("identity cache");
            match cache.get_mut(&key) {
                Some(Slot::Ready {
                    answer,
                    fetched,
                    refreshing,
                    next_try,
                }) if now.duration_since(*fetched) < t.stale => {
                    let age = now.duration_since(*fetched);
                    if age >= t.refresh && !*refreshing && now >= *next_try {
                        *refreshing = true;
                        self.refresh_in_background(key.clone());
                    }
                    // Fresh, being refreshed, or (past fresh_ms, the shim not answering)
                    // within its grace: the cached answer, without waiting.
                    return answer.clone();
                }
                Some(Slot::Asking(pending)) => pending.clone(),
                _ => {
                    if self.is_down(now) {
                        return fallback;
                    }
                    if cache.len() >= MAX_CACHED {
                        cache.retain(|_, slot| match slot {
                            Slot::Ready { fetched, .. } => now.duration_since(*fetched) < t.stale,
                            Slot::Asking(_) => true,
                        });
                    }
                    let pending = self.first_question(key.clone());
                    cache.insert(key, Slot::Asking(pending.clone()));
                    pending
                }
            }
        };
        pending.await.unwrap_or(fallback)
    }

    fn is_down(&self, now: Instant) -> bool {
        matches!(*self.inner.down_until.lock().expect("down"), Some(until) if now < until)
    }

    /// The one question for a key nobody has an answer for; every waiter shares it. It runs
    /// as a task of its own, so a client that goes away does not cancel it for the others.
    fn first_question(&self, key: Key) -> Pending {
        let inner = self.inner.clone();
        let task = tokio::spawn(async move {
            let answer = inner.ask(&key.0, key.1.as_deref()).await;
            let now = Instant::now();
            let mut cache = inner.cache.lock().expect("identity cache");
            match &answer {
                Some(identity) => {
                    cache.insert(
                        key,
                        Slot::Ready {
                            answer: identity.clone(),
                            fetched: now,
                            refreshing: false,
                            next_try: now,
                        },
                    );
                }
                None => {
                    cache.remove(&key);
                    *inner.down_until.lock().expect("down") = Some(now + inner.timings.retry);
                }
            }
            answer
        });
        FutureExt::map(task, |joined| joined.ok().flatten())
            .boxed()
            .shared()
    }

    fn refresh_in_background(&self, key: Key) {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let answer = inner.ask(&key.0, key.1.as_deref()).await;
            let now = Instant::now();
            let mut cache = inner.cache.lock().expect("identity cache");
            if let Some(Slot::Ready {
                answer: cached,
                fetched,
                refreshing,
                next_try,
            }) = cache.get_mut(&key)
            {
                *refreshing = false;
                match answer {
                    Some(identity) => {
                        *cached = identity;
                        *fetched = now;
                    }
                    None => *next_try = now + inner.timings.retry,
                }
            }
        });
    }
}

impl Inner {
    /// The shim's answer, or None when it gave none (down, slow, or not the router's shim).
    async fn ask(&self, credentials: &Credentials, address: Option<&str>) -> Option<Identity> {
        let mut headers = serde_json::Map::new();
        for (name, value) in [
            ("authorization", &credentials.authorization),
            ("x-api-key", &credentials.api_key),
            ("x-api-secret", &credentials.api_secret),
        ] {
            if let Some(value) = value {
                headers.insert(name.into(), value.clone().into());
            }
        }
        let body = serde_json::json!({ "headers": headers, "address": address });
        let result: Result<Identity, String> = async {
            let response = self
                .client
                .post(&self.config.url)
                .header("x-router-secret", &self.config.router_secret)
                .json(&body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            if status != reqwest::StatusCode::OK {
                return Err(format!("{} answered {status}", self.config.url));
            }
            let answer: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
            parse_answer(&answer)
                .ok_or_else(|| format!("{} gave no answer: {answer}", self.config.url))
        }
        .await;
        match result {
            Ok(identity) => Some(identity),
            Err(message) => {
                self.warner.warn(&message);
                None
            }
        }
    }
}

fn parse_answer(answer: &serde_json::Value) -> Option<Identity> {
    match answer.get("active").and_then(|a| a.as_bool()) {
        Some(true) => {
            let bucket = answer.get("bucket")?.as_str().filter(|b| !b.is_empty())?;
            let given = answer.get("tier").and_then(|t| t.as_str());
            let tier = TIERS
                .iter()
                .find(|t| Some(**t) == given)
                .copied()
                .unwrap_or(TIERS[0]);
            Some(Identity::Caller {
                bucket: bucket.to_string(),
                tier,
            })
        }
        Some(false) => {
            let message = answer
                .pointer("/error/message")
                .and_then(|m| m.as_str())
                .unwrap_or("invalid credentials");
            Some(Identity::Refused(message.to_string()))
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_active_answer_names_a_bucket_and_a_known_tier() {
        let answer =
            serde_json::json!({"active": true, "bucket": "key:1", "tier": "premium_integration"});
        assert_eq!(
            parse_answer(&answer),
            Some(Identity::Caller {
                bucket: "key:1".into(),
                tier: "premium_integration"
            })
        );
        let odd = serde_json::json!({"active": true, "bucket": "key:1", "tier": "gold"});
        assert!(matches!(
            parse_answer(&odd),
            Some(Identity::Caller {
                tier: "authenticated_user",
                ..
            })
        ));
    }

    #[test]
    fn an_inactive_answer_carries_the_message_and_nonsense_is_no_answer() {
        let answer = serde_json::json!({"active": false, "error": {"message": "key revoked"}});
        assert_eq!(
            parse_answer(&answer),
            Some(Identity::Refused("key revoked".into()))
        );
        assert_eq!(parse_answer(&serde_json::json!({"bucket": "x"})), None);
    }
}
