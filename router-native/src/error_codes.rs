//! Every error the router answers in our error format (README: The API today, Errors): Hive
//! Router 0.2.0 refuses requests with codes of its own (CSRF_PREVENTION_FAILED,
//! PAYLOAD_TOO_LARGE_*, graphql-tools' rule names for validation errors); this plugin renames
//! them, and sets the HTTP status, by router-config/error-codes.json, the table
//! router-config/error-codes.ts (Hive Gateway) reads too; crmgraph.native_router copies it into
//! this plugin's configuration. An error without a code and without a path (a refusal of the
//! request, not a field's error) gets the table's `uncoded`. Subgraph errors keep their codes.

use std::collections::HashMap;

use hive_router::{
    async_trait,
    http::StatusCode,
    plugins::{
        hooks::{
            on_graphql_error::{OnGraphQLErrorHookPayload, OnGraphQLErrorHookResult},
            on_plugin_init::{OnPluginInitPayload, OnPluginInitResult},
        },
        plugin_trait::RouterPlugin,
    },
};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Rename {
    /// The router's codes that become this one.
    router: Vec<String>,
    /// The answer's HTTP status; the router's when absent.
    status: Option<u16>,
}

#[derive(Deserialize)]
pub struct Config {
    uncoded: String,
    /// Our code -> the router's codes it replaces.
    codes: HashMap<String, Rename>,
}

pub struct ErrorCodes {
    uncoded: String,
    /// The router's code -> ours and the status.
    renames: HashMap<String, (String, Option<StatusCode>)>,
}

#[async_trait]
impl RouterPlugin for ErrorCodes {
    type Config = Config;

    fn plugin_name() -> &'static str {
        "crmgraph_error_codes"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        let mut renames = HashMap::new();
        for (ours, rename) in config.codes {
            let status = rename.status.map(StatusCode::from_u16).transpose()?;
            for theirs in rename.router {
                renames.insert(theirs, (ours.clone(), status));
            }
        }
        payload.initialize_plugin(ErrorCodes {
            uncoded: config.uncoded,
            renames,
        })
    }

    fn on_graphql_error<'req>(
        &'req self,
        mut payload: OnGraphQLErrorHookPayload<'req>,
    ) -> OnGraphQLErrorHookResult<'req> {
        let extensions = &mut payload.error.extensions;
        match extensions.code.as_deref() {
            Some(code) => {
                if let Some((ours, status)) = self.renames.get(code) {
                    extensions.code = Some(ours.clone());
                    if let Some(status) = status {
                        payload.status_code = *status;
                    }
                }
            }
            None if payload.error.path.is_none() => extensions.code = Some(self.uncoded.clone()),
            None => {}
        }
        payload.proceed()
    }
}
