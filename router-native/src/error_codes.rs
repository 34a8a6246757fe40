//! Every error the router answers in our error format (README: The API today, Errors): Hive
//! Router 0.2.0 refuses requests with codes of its own (CSRF_PREVENTION_FAILED,
//! PAYLOAD_TOO_LARGE_*, graphql-tools' rule names for validation errors); this plugin renames
//! them, and sets the HTTP status, by router-config/error-codes.json, the table
//! router-config/error-codes.ts (Hive Gateway) reads too; crmgraph.native_router copies it into
//! this plugin's configuration. An error without a code and without a path (a refusal of the
//! request, not a field's error) gets the table's `uncoded`. Subgraph errors keep their codes.
//!
//! Parse errors get their message made again here. Hive Router 0.2.0's parse error holds
//! graphql-tools 0.5.8's tokens, which borrow the query's text (the crate transmutes their
//! lifetime to 'static), and the router formats the message after that text is freed: it
//! echoed whatever the memory then held (the fuzzers saw bodies that were not UTF-8; bytes
//! of other requests could appear). The plugin keeps its own copy of the query (Query) and
//! parses it once more, for the message only, while the copy is alive.

use std::collections::HashMap;

use hive_router::{
    async_trait,
    graphql_tools::parser::parse_query,
    http::StatusCode,
    plugins::{
        hooks::{
            on_graphql_error::{OnGraphQLErrorHookPayload, OnGraphQLErrorHookResult},
            on_graphql_parse::{OnGraphQLParseHookResult, OnGraphQLParseStartHookPayload},
            on_plugin_init::{OnPluginInitPayload, OnPluginInitResult},
        },
        plugin_trait::{RouterPlugin, StartHookPayload},
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

/// The router's code for a document that does not parse.
const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
/// How the router begins that message (pipeline/error.rs).
const PARSE_PREFIX: &str = "Failed to parse GraphQL operation";

/// The request's query, for the message of its parse error.
struct Query(String);

/// The message of the error parsing query, formatted while query lives.
fn parse_message(query: &str) -> Option<String> {
    parse_query::<String>(query)
        .err()
        .map(|error| format!("{PARSE_PREFIX}: {error}"))
}

/// Without the query (a request that reached no parse hook): the message's first line,
/// "... Parse error at line:column", which is made of numbers, not of the body.
fn position_only(message: &str) -> String {
    let first = message
        .as_bytes()
        .split(|b| *b == b'\n')
        .next()
        .unwrap_or_default();
    match std::str::from_utf8(first) {
        Ok(line) if line.starts_with(PARSE_PREFIX) => line.to_string(),
        _ => PARSE_PREFIX.to_string(),
    }
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

    async fn on_graphql_parse<'exec>(
        &'exec self,
        payload: OnGraphQLParseStartHookPayload<'exec>,
    ) -> OnGraphQLParseHookResult<'exec> {
        if let Some(query) = &payload.graphql_params.query {
            payload.context.insert(Query(query.clone()));
        }
        payload.proceed()
    }

    fn on_graphql_error<'req>(
        &'req self,
        mut payload: OnGraphQLErrorHookPayload<'req>,
    ) -> OnGraphQLErrorHookResult<'req> {
        if payload.error.extensions.code.as_deref() == Some(PARSE_FAILED) {
            let again = payload
                .context
                .get_ref::<Query>()
                .and_then(|q| parse_message(&q.0));
            payload.error.message = again.unwrap_or_else(|| position_only(&payload.error.message));
        }
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

#[cfg(test)]
mod tests {
    use super::{parse_message, position_only};

    #[test]
    fn a_parse_error_names_the_character_it_met() {
        let message = parse_message("query 1\u{540d} { x }").expect("a parse error");
        assert!(message.starts_with("Failed to parse GraphQL operation: Parse error at 1:7"));
        assert!(message.contains('\u{540d}'), "{message}");
        assert_eq!(parse_message("{ x }"), None);
    }

    #[test]
    fn without_the_query_only_the_position_is_kept() {
        let message =
            "Failed to parse GraphQL operation: Parse error at 1:1\nUnexpected `\u{fffd}`";
        assert_eq!(
            position_only(message),
            "Failed to parse GraphQL operation: Parse error at 1:1"
        );
        assert_eq!(
            position_only("something else"),
            "Failed to parse GraphQL operation"
        );
    }
}
