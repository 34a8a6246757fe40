//! `application/graphql+json`, the GraphQL-over-HTTP spec's earlier request media type, is
//! taken as `application/json` (Hive Gateway accepts both; 0.2.0 refuses it with 415). Both
//! are types a browser preflights, so CSRF prevention, which 0.2.0 applies afterwards to the
//! rewritten header, decides exactly as before.

use hive_router::{
    async_trait,
    ntex::http::header::{HeaderValue, CONTENT_TYPE},
    plugins::{
        hooks::{
            on_http_request::{OnHttpRequestHookFuture, OnHttpRequestHookPayload},
            on_plugin_init::{OnPluginInitPayload, OnPluginInitResult},
        },
        plugin_trait::{RouterPlugin, StartHookPayload},
    },
};
use serde::Deserialize;

const LEGACY: &str = "application/graphql+json";
const JSON: &str = "application/json";

#[derive(Deserialize)]
pub struct Config {}

pub struct GraphqlJson;

/// `application/json` with the same parameters, when `value` is the legacy media type.
fn as_json(value: &str) -> Option<String> {
    let (essence, parameters) = value.split_once(';').unwrap_or((value, ""));
    if !essence.trim().eq_ignore_ascii_case(LEGACY) {
        return None;
    }
    Some(if parameters.is_empty() {
        JSON.to_string()
    } else {
        format!("{JSON};{parameters}")
    })
}

#[async_trait]
impl RouterPlugin for GraphqlJson {
    type Config = Config;

    fn plugin_name() -> &'static str {
        "crmgraph_graphql_json"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        payload.initialize_plugin(GraphqlJson)
    }

    fn on_http_request<'req>(
        &'req self,
        mut payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            let headers = payload.router_http_request.headers_mut();
            let rewritten = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(as_json)
                .and_then(|v| HeaderValue::from_str(&v).ok());
            if let Some(value) = rewritten {
                headers.insert(CONTENT_TYPE, value);
            }
            payload.proceed()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::as_json;

    #[test]
    fn the_legacy_type_becomes_json_with_its_parameters() {
        assert_eq!(
            as_json("application/graphql+json").as_deref(),
            Some("application/json")
        );
        assert_eq!(
            as_json("Application/GraphQL+JSON; charset=utf-8").as_deref(),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(as_json("application/json"), None);
        assert_eq!(as_json("text/plain; x=application/graphql+json"), None);
    }
}
