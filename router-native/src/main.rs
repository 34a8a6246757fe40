//! crmgraph's build of Hive Router 0.2.0: the stock router (`router_entrypoint`) with our
//! plugins registered. Each is switched on and configured under `plugins:` in the router
//! configuration, which crmgraph.native_router writes from the environment (the one place
//! that reads it); a plugin without a block there stays off.
#![recursion_limit = "256"]

mod client_address;
mod cost;
mod error_codes;
mod graphql_json;
mod rate_limits;
mod security_headers;

use hive_router::{
    configure_global_allocator, error::RouterInitError, init_rustls_crypto_provider,
    router_entrypoint, PluginRegistry, RouterGlobalAllocator,
};

configure_global_allocator!();

#[hive_router::main]
async fn main() -> Result<(), RouterInitError> {
    init_rustls_crypto_provider();
    // Registration order is hook order: the client's address is known before it is counted.
    let registry = PluginRegistry::new()
        .register::<security_headers::SecurityHeaders>()
        .register::<graphql_json::GraphqlJson>()
        .register::<client_address::ClientAddressPlugin>()
        .register::<rate_limits::RateLimits>()
        .register::<cost::CostLimit>()
        .register::<error_codes::ErrorCodes>();
    router_entrypoint(registry).await
}
