//! One decision per request against Redis, with the one Lua script the REST shim and Hive
//! Gateway run too (router-config/rate-limit.lua, compiled in), on the same keys
//! (crmgraph.rest.rate_limit_store.keys_for), so a caller's counters are shared by all three.

use std::{collections::BTreeMap, time::Duration};

use redis::{aio::MultiplexedConnection, AsyncConnectionConfig, Script};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::warn::Warner;

const SCRIPT: &str = include_str!("../../../router-config/rate-limit.lua");
const KEY_PREFIX: &str = "crmgraph:rl:";
const REDIS_WAIT: Duration = Duration::from_millis(500);

#[derive(Deserialize, Clone, Copy, Debug)]
pub struct TierLimits {
    pub requests_per_minute: i64,
    pub requests_per_hour: i64,
    pub requests_per_day: i64,
    pub burst_limit: i64,
}

/// What the answer says: its X-RateLimit-* values, and for a refusal what refused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: i64,
    pub remaining: i64,
    pub reset_at: i64,
    pub retry_after: i64,
    pub refused_limit: i64,
    pub refused_window: &'static str,
    pub refused_operation: Option<String>,
}

impl Decision {
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("x-ratelimit-limit", self.limit.to_string()),
            ("x-ratelimit-remaining", self.remaining.to_string()),
            ("x-ratelimit-reset", self.reset_at.to_string()),
        ]
    }

    /// 004's 429 body plus GraphQL `errors` (crmgraph.rest.rate_limit.Decision.body).
    pub fn body(&self) -> serde_json::Value {
        let message = format!(
            "Rate limit exceeded. Try again in {} seconds.",
            self.retry_after
        );
        let mut details = serde_json::Map::new();
        details.insert("limit".into(), self.refused_limit.into());
        details.insert("window".into(), self.refused_window.into());
        if let Some(operation) = &self.refused_operation {
            details.insert("operation".into(), operation.clone().into());
        }
        details.insert("retry_after".into(), self.retry_after.into());
        serde_json::json!({
            "success": false,
            "error": {"code": "RATE_LIMIT_EXCEEDED", "message": message, "details": details},
            "errors": [{"message": message,
                        "extensions": {"code": "RATE_LIMIT_EXCEEDED",
                                       "retry_after": self.retry_after}}],
        })
    }
}

pub struct Limiter {
    client: redis::Client,
    connection: Mutex<Option<MultiplexedConnection>>,
    script: Script,
    warner: Warner,
}

impl Limiter {
    pub fn new(redis_url: &str) -> redis::RedisResult<Self> {
        Ok(Self {
            client: redis::Client::open(redis_url)?,
            connection: Mutex::new(None),
            script: Script::new(SCRIPT),
            warner: Warner::new(
                "rate_limits_unavailable",
                "Redis did not answer; requests pass without rate limits",
            ),
        })
    }

    async fn connection(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut held = self.connection.lock().await;
        if let Some(connection) = held.as_ref() {
            return Ok(connection.clone());
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(REDIS_WAIT)
            .set_response_timeout(REDIS_WAIT);
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *held = Some(connection.clone());
        Ok(connection)
    }

    /// The decision for one request of `bucket` at `tier`, selecting the limited root
    /// `fields` (sorted); None when Redis does not answer (the request passes).
    pub async fn hit(
        &self,
        bucket: &str,
        tier: &TierLimits,
        fields: &[String],
        operations: &BTreeMap<String, i64>,
    ) -> Option<Decision> {
        let mut invocation = self.script.prepare_invoke();
        for key in keys_for(bucket, fields) {
            invocation.key(key);
        }
        invocation
            .arg(tier.burst_limit)
            .arg(tier.requests_per_minute)
            .arg(tier.requests_per_hour)
            .arg(tier.requests_per_day);
        for field in fields {
            invocation.arg(operations[field]);
        }
        let result: redis::RedisResult<(i64, i64, i64, i64, i64)> = async {
            let mut connection = self.connection().await?;
            invocation.invoke_async(&mut connection).await
        }
        .await;
        let (allowed, remaining, reset_ms, retry_ms, which) = match result {
            Ok(raw) => raw,
            Err(error) => {
                // A broken connection is opened afresh on the next request.
                if error.is_unrecoverable_error() || error.is_timeout() || error.is_io_error() {
                    *self.connection.lock().await = None;
                }
                self.warner.warn(&format!("{error:?}"));
                return None;
            }
        };
        let (mut refused_limit, mut refused_window) = (tier.requests_per_minute, "1 minute");
        if which == 2 {
            (refused_limit, refused_window) = (tier.requests_per_hour, "1 hour");
        } else if which == 3 {
            (refused_limit, refused_window) = (tier.requests_per_day, "1 day");
        }
        let refused_operation = usize::try_from(which - 4)
            .ok()
            .and_then(|i| fields.get(i).cloned());
        if let Some(operation) = &refused_operation {
            refused_limit = operations[operation];
        }
        Some(Decision {
            allowed: allowed == 1,
            limit: tier.requests_per_minute,
            remaining: remaining.max(0),
            reset_at: ceil_seconds(reset_ms),
            retry_after: ceil_seconds(retry_ms).max(1),
            refused_limit,
            refused_window,
            refused_operation,
        })
    }
}

fn ceil_seconds(ms: i64) -> i64 {
    (ms + 999).div_euclid(1000)
}

/// One caller's keys share a Redis Cluster hash slot (`{...}`), as in rate_limit_store.py.
pub fn keys_for(bucket: &str, fields: &[String]) -> Vec<String> {
    let base = format!("{KEY_PREFIX}{{{}}}", safe(bucket));
    let mut keys = vec![
        format!("{base}:b"),
        format!("{base}:h"),
        format!("{base}:d"),
    ];
    keys.extend(fields.iter().map(|f| format!("{base}:op:{f}")));
    keys
}

fn safe(name: &str) -> String {
    if name.chars().count() > 120 || name.contains(['{', '}']) || name.contains(char::is_whitespace)
    {
        let digest = Sha256::digest(name.as_bytes());
        return format!("h:{}", hex::encode(digest));
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_rest_shims() {
        let keys = keys_for("user:t1:ada", &["searchContacts".to_string()]);
        assert_eq!(
            keys,
            [
                "crmgraph:rl:{user:t1:ada}:b",
                "crmgraph:rl:{user:t1:ada}:h",
                "crmgraph:rl:{user:t1:ada}:d",
                "crmgraph:rl:{user:t1:ada}:op:searchContacts",
            ]
        );
        let odd = keys_for("ip:a b", &[]);
        assert!(odd[0].starts_with("crmgraph:rl:{h:"));
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(ceil_seconds(1), 1);
        assert_eq!(ceil_seconds(1000), 1);
        assert_eq!(ceil_seconds(1001), 2);
    }

    #[test]
    fn the_refusal_body_is_004s() {
        let decision = Decision {
            allowed: false,
            limit: 6,
            remaining: 0,
            reset_at: 10,
            retry_after: 3,
            refused_limit: 20,
            refused_window: "1 minute",
            refused_operation: Some("salesReport".into()),
        };
        let body = decision.body();
        assert_eq!(body["error"]["details"]["operation"], "salesReport");
        assert_eq!(body["error"]["details"]["limit"], 20);
        assert_eq!(
            body["errors"][0]["message"],
            "Rate limit exceeded. Try again in 3 seconds."
        );
    }
}
