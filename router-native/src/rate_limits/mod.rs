//! The rate limits in the router process (what crmgraph.coprocessor answered over a unix
//! socket): each GraphQL operation, once parsed, validated and about to be planned, HTTP or
//! graphql-ws alike, counts against its caller's bucket in Redis. CORS preflights, GraphiQL
//! and /health reach no planning and are not counted. Allowed answers carry X-RateLimit-*;
//! over a limit the answer is 004's 429 body with Retry-After and no subgraph runs;
//! credentials that do not verify get our 401. Redis down: requests pass without headers.

mod identity;
mod limiter;
mod warn;

use std::collections::BTreeMap;

use hive_router::{
    async_trait,
    http::StatusCode,
    ntex::http::header::{HeaderName, HeaderValue},
    plugins::{
        hooks::{
            on_http_request::{OnHttpRequestHookFuture, OnHttpRequestHookPayload},
            on_plugin_init::{OnPluginInitPayload, OnPluginInitResult},
            on_query_plan::{OnQueryPlanStartHookPayload, OnQueryPlanStartHookResult},
        },
        plugin_trait::{EndHookPayload, RouterPlugin, StartHookPayload},
    },
    query_planner::ast::{selection_item::SelectionItem, selection_set::SelectionSet},
    PlanExecutionOutput,
};
use serde::Deserialize;

use crate::client_address::ClientAddress;
use identity::{Credentials, Identities, Identity, IdentityConfig};
use limiter::{Decision, Limiter, TierLimits};

/// The plugin's block in the router configuration (crmgraph.native_router.rate_limit_plugin).
#[derive(Deserialize)]
pub struct Config {
    redis_url: String,
    identity: IdentityConfig,
    tiers: BTreeMap<String, TierLimits>,
    /// Limited root fields: per caller, per minute.
    operations: Vec<OperationLimit>,
}

#[derive(Deserialize)]
struct OperationLimit {
    field: String,
    per_minute: i64,
}

pub struct RateLimits {
    limiter: Limiter,
    identities: Identities,
    tiers: BTreeMap<String, TierLimits>,
    operations: BTreeMap<String, i64>,
}

/// What the answer to this request gets: headers to set (and for a refusal, its type).
#[derive(Default)]
struct Answer {
    headers: Vec<(&'static str, String)>,
}

const JSON: &str = "application/json; charset=utf-8";

#[async_trait]
impl RouterPlugin for RateLimits {
    type Config = Config;

    fn plugin_name() -> &'static str {
        "crmgraph_rate_limits"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        for tier in identity::TIERS {
            if !config.tiers.contains_key(tier) {
                return Err(format!("crmgraph_rate_limits: no limits for tier {tier}").into());
            }
        }
        payload.initialize_plugin(RateLimits {
            limiter: Limiter::new(&config.redis_url)?,
            identities: Identities::new(config.identity)?,
            tiers: config.tiers,
            operations: config
                .operations
                .into_iter()
                .map(|o| (o.field, o.per_minute))
                .collect(),
        })
    }

    fn on_http_request<'req>(
        &'req self,
        payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            payload.on_end(|end| {
                let answer = end.context.get_ref::<Answer>().map(|a| a.headers.clone());
                match answer {
                    None => end.proceed(),
                    Some(headers) => end
                        .map_response(|mut response| {
                            let map = response.headers_mut();
                            for (name, value) in headers {
                                if let Ok(value) = HeaderValue::from_str(&value) {
                                    map.insert(HeaderName::from_static(name), value);
                                }
                            }
                            response
                        })
                        .proceed(),
                }
            })
        })
    }

    async fn on_query_plan<'exec>(
        &'exec self,
        payload: OnQueryPlanStartHookPayload<'exec>,
    ) -> OnQueryPlanStartHookResult<'exec> {
        let headers = payload.router_http_request.headers;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let credentials = Credentials {
            authorization: header("authorization"),
            api_key: header("x-api-key"),
            api_secret: header("x-api-secret"),
        };
        let address = ClientAddress::of(payload.context);
        let (bucket, tier) = match self.identities.identify(credentials, address).await {
            Identity::Refused(message) => {
                payload.context.insert(Answer {
                    headers: vec![
                        ("www-authenticate", "Bearer".into()),
                        ("content-type", JSON.into()),
                    ],
                });
                let body = serde_json::json!({
                    "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]
                });
                return payload.end_with_response(output(StatusCode::UNAUTHORIZED, &body));
            }
            Identity::Caller { bucket, tier } => (bucket, tier),
        };
        let fields = limited_fields(
            &payload.filtered_operation_for_plan.selection_set,
            &self.operations,
        );
        let limits = &self.tiers[tier];
        let Some(decision) = self
            .limiter
            .hit(&bucket, limits, &fields, &self.operations)
            .await
        else {
            return payload.proceed();
        };
        let mut answer = Answer {
            headers: decision.headers().to_vec(),
        };
        if decision.allowed {
            payload.context.insert(answer);
            return payload.proceed();
        }
        log_refusal(&bucket, tier, &decision, header("x-request-id"));
        answer
            .headers
            .push(("retry-after", decision.retry_after.to_string()));
        answer.headers.push(("content-type", JSON.into()));
        payload.context.insert(answer);
        payload.end_with_response(output(StatusCode::TOO_MANY_REQUESTS, &decision.body()))
    }
}

fn output(status_code: StatusCode, body: &serde_json::Value) -> PlanExecutionOutput {
    PlanExecutionOutput {
        body: serde_json::to_vec(body).unwrap_or_default(),
        error_count: 1,
        status_code,
    }
}

/// The limited root fields an operation selects (rate-limit.ts expensiveFields), sorted.
/// The planned operation is normalized: fragments are inlined.
fn limited_fields(selection_set: &SelectionSet, limited: &BTreeMap<String, i64>) -> Vec<String> {
    fn walk(set: &SelectionSet, limited: &BTreeMap<String, i64>, found: &mut Vec<String>) {
        for item in &set.items {
            match item {
                SelectionItem::Field(field) if limited.contains_key(&field.name) => {
                    found.push(field.name.clone())
                }
                SelectionItem::InlineFragment(fragment) => {
                    walk(&fragment.selections, limited, found)
                }
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    walk(selection_set, limited, &mut found);
    found.sort();
    found.dedup();
    found
}

/// crmgraph.security_log's event, one JSON line on stderr (the router's log).
fn log_refusal(bucket: &str, tier: &str, decision: &Decision, request_id: Option<String>) {
    let request_id = request_id.unwrap_or_else(random_id);
    let mut event = serde_json::json!({
        "event": "rate_limit_exceeded",
        "at": chrono::Utc::now().to_rfc3339(),
        "bucket": bucket,
        "tier": tier,
        "path": "/graphql",
        "limit": decision.refused_limit,
        "window": decision.refused_window,
        "retry_after": decision.retry_after,
        "request_id": request_id,
    });
    if let Some(operation) = &decision.refused_operation {
        event["operation"] = operation.clone().into();
    }
    eprintln!("{event}");
}

fn random_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    format!("{:016x}", hasher.finish())
}
