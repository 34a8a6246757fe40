//! Security headers on every answer the router gives: GraphQL results, errors, /health,
//! 404s, CORS preflights and the GraphiQL page (0.2.0's response header rules touch executed
//! operations only). The table is router-config/security-headers.json, which
//! router-config/http-security.ts (Hive Gateway) reads too; crmgraph.native_router copies it
//! into this plugin's configuration.

use std::collections::BTreeMap;

use hive_router::{
    async_trait,
    ntex::http::header::{HeaderName, HeaderValue, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY},
    plugins::{
        hooks::{
            on_http_request::{OnHttpRequestHookFuture, OnHttpRequestHookPayload},
            on_plugin_init::{OnPluginInitPayload, OnPluginInitResult},
        },
        plugin_trait::{EndHookPayload, RouterPlugin, StartHookPayload},
    },
};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Config {
    headers: BTreeMap<String, String>,
    /// The Content-Security-Policy of the GraphiQL page (an HTML answer on `graphiql_path`).
    html_csp: String,
    graphiql_path: String,
    /// Added to Vary when absent: CORS answers depend on the Origin.
    vary: String,
}

pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
    html_csp: HeaderValue,
    graphiql_path: String,
    vary: String,
}

#[async_trait]
impl RouterPlugin for SecurityHeaders {
    type Config = Config;

    fn plugin_name() -> &'static str {
        "crmgraph_security_headers"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        let mut headers = Vec::with_capacity(config.headers.len());
        for (name, value) in config.headers {
            headers.push((
                HeaderName::from_bytes(name.as_bytes())?,
                HeaderValue::from_str(&value)?,
            ));
        }
        payload.initialize_plugin(SecurityHeaders {
            headers,
            html_csp: HeaderValue::from_str(&config.html_csp)?,
            graphiql_path: config.graphiql_path,
            vary: config.vary,
        })
    }

    fn on_http_request<'req>(
        &'req self,
        payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            // 0.2.0's 404 is an HTML landing page too: it keeps the API's policy.
            let graphiql = payload.router_http_request.path() == self.graphiql_path;
            payload.on_end(move |end| {
                end.map_response(|mut response| {
                    let headers = response.headers_mut();
                    for (name, value) in &self.headers {
                        headers.insert(name.clone(), value.clone());
                    }
                    let html = graphiql
                        && headers
                            .get(CONTENT_TYPE)
                            .and_then(|v| v.to_str().ok())
                            .is_some_and(|t| t.starts_with("text/html"));
                    if html {
                        headers.insert(CONTENT_SECURITY_POLICY, self.html_csp.clone());
                    }
                    let vary = headers.get(VARY).and_then(|v| v.to_str().ok());
                    let listed = vary.is_some_and(|v| {
                        v.split(',')
                            .any(|p| p.trim().eq_ignore_ascii_case(&self.vary))
                    });
                    if !listed {
                        let value = match vary {
                            Some(v) if !v.trim().is_empty() => format!("{v}, {}", self.vary),
                            _ => self.vary.clone(),
                        };
                        if let Ok(value) = HeaderValue::from_str(&value) {
                            headers.insert(VARY, value);
                        }
                    }
                    response
                })
                .proceed()
            })
        })
    }
}
