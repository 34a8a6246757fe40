//! The client-address hop: each subgraph request carries `X-Forwarded-For` with the address
//! the client connected from appended, as Hive Gateway's gateway.config.ts sends it (the
//! client's own X-Forwarded-For, if any, first: it proves nothing, and the subgraphs'
//! gql/router_gate.py believes only the last entry, the one the router adds). The address is
//! also kept in the request's plugin context for the rate limits' `ip:` buckets.

use hive_router::{
    async_trait,
    http::HeaderValue,
    plugins::{
        hooks::{
            on_http_request::{OnHttpRequestHookFuture, OnHttpRequestHookPayload},
            on_plugin_init::{OnPluginInitPayload, OnPluginInitResult},
            on_subgraph_http_request::{
                OnSubgraphHttpRequestHookPayload, OnSubgraphHttpRequestHookResult,
            },
        },
        plugin_context::PluginContext,
        plugin_trait::{RouterPlugin, StartHookPayload},
    },
};
use serde::Deserialize;

/// The peer address of the client's connection, and the X-Forwarded-For it sent.
#[derive(Clone, Debug, Default)]
pub struct ClientAddress {
    pub peer: Option<String>,
    pub claimed: Option<String>,
}

impl ClientAddress {
    /// The client's address as the rate limits name it, if the plugin saw the request.
    pub fn of(context: &PluginContext) -> Option<String> {
        context
            .get_ref::<ClientAddress>()
            .and_then(|a| a.peer.clone())
    }

    fn forwarded_for(&self) -> Option<String> {
        let peer = self.peer.as_deref()?;
        Some(match self.claimed.as_deref() {
            Some(claimed) if !claimed.trim().is_empty() => format!("{}, {peer}", claimed.trim()),
            _ => peer.to_string(),
        })
    }
}

#[derive(Deserialize, Default)]
pub struct Config {}

pub struct ClientAddressPlugin;

/// `::ffff:10.0.0.1` is 10.0.0.1 (a v4 client on a dual-stack socket), as rate-limit.ts peerOf.
fn peer_ip(addr: std::net::SocketAddr) -> String {
    match addr.ip() {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        ip => ip.to_string(),
    }
}

#[async_trait]
impl RouterPlugin for ClientAddressPlugin {
    type Config = Config;

    fn plugin_name() -> &'static str {
        "crmgraph_client_address"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        payload.config()?;
        payload.initialize_plugin(ClientAddressPlugin)
    }

    fn on_http_request<'req>(
        &'req self,
        payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            let request = &payload.router_http_request;
            let address = ClientAddress {
                peer: request.peer_addr().map(peer_ip),
                claimed: request
                    .headers()
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
            };
            payload.context.insert(address);
            payload.proceed()
        })
    }

    async fn on_subgraph_http_request<'exec>(
        &'exec self,
        mut payload: OnSubgraphHttpRequestHookPayload<'exec>,
    ) -> OnSubgraphHttpRequestHookResult<'exec> {
        let forwarded = payload
            .context
            .get_ref::<ClientAddress>()
            .and_then(|a| a.forwarded_for());
        let headers = &mut payload.execution_request.headers;
        // Never the client's own header alone: without a peer address there is no hop to add.
        headers.remove("x-forwarded-for");
        if let Some(value) = forwarded.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert("x-forwarded-for", value);
        }
        payload.proceed()
    }
}
