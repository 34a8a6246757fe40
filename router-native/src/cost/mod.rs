//! The cost limit, as Hive Gateway's (router-config/limits.ts limitCost): an operation whose
//! estimate (estimate.rs) is over `max` is refused before it is planned, so before any
//! subgraph, with HTTP 200 and `COST_ESTIMATED_TOO_EXPENSIVE` carrying `cost: {estimated,
//! max}`. It replaces 0.2.0's demand control, which prices each subgraph request of the plan
//! alone and so counts the entities of an `_entities` request as a default page.

mod estimate;

use std::sync::RwLock;

use hive_router::{
    async_trait,
    http::StatusCode,
    plugins::{
        hooks::{
            on_graphql_analysis::{OnGraphqlAnalysisHookPayload, OnGraphqlAnalysisHookResult},
            on_plugin_init::{OnPluginInitPayload, OnPluginInitResult},
            on_supergraph_load::{
                OnSupergraphLoadStartHookPayload, OnSupergraphLoadStartHookResult,
                SupergraphSnapshot,
            },
        },
        plugin_trait::{EndHookPayload, RouterPlugin, StartHookPayload},
    },
    PlanExecutionOutput,
};
use serde::Deserialize;
use serde_json::json;

use estimate::Estimate;

#[derive(Deserialize)]
pub struct Config {
    /// CRMGRAPH_MAX_COST.
    max: u64,
    /// A list's size when nothing sizes it: the subgraphs' default page.
    default_list_size: u64,
}

pub struct CostLimit {
    max: u64,
    default_list_size: u64,
    /// The supergraph in use, for its types, `@listSize` and `@cost`.
    supergraph: RwLock<Option<SupergraphSnapshot>>,
}

impl CostLimit {
    fn refusal(&self, estimated: u64) -> PlanExecutionOutput {
        let body = json!({"errors": [{
            "message": format!("Query cost {estimated} exceeds the maximum of {}", self.max),
            "extensions": {
                "code": "COST_ESTIMATED_TOO_EXPENSIVE",
                "cost": {"estimated": estimated, "max": self.max},
            },
        }]});
        PlanExecutionOutput {
            body: body.to_string().into_bytes(),
            error_count: 1,
            status_code: StatusCode::OK,
        }
    }
}

#[async_trait]
impl RouterPlugin for CostLimit {
    type Config = Config;

    fn plugin_name() -> &'static str {
        "crmgraph_cost_limit"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        payload.initialize_plugin(CostLimit {
            max: config.max,
            default_list_size: config.default_list_size,
            supergraph: RwLock::new(None),
        })
    }

    fn on_supergraph_reload<'exec>(
        &'exec self,
        payload: OnSupergraphLoadStartHookPayload,
    ) -> OnSupergraphLoadStartHookResult<'exec> {
        payload.on_end(move |end| {
            let snapshot = end.new_supergraph.snapshot();
            *self.supergraph.write().unwrap_or_else(|e| e.into_inner()) = Some(snapshot);
            end.proceed()
        })
    }

    async fn on_graphql_analysis<'exec>(
        &'exec self,
        payload: &mut OnGraphqlAnalysisHookPayload<'exec>,
    ) -> OnGraphqlAnalysisHookResult {
        let snapshot = self
            .supergraph
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(snapshot) = snapshot else {
            return OnGraphqlAnalysisHookResult::Proceed;
        };
        let operation = payload.filtered_operation_for_plan;
        let estimated = Estimate::new(
            &snapshot.planner.supergraph,
            operation,
            &payload.graphql_params.variables,
            self.default_list_size,
        )
        .operation(operation);
        if estimated <= self.max {
            OnGraphqlAnalysisHookResult::Proceed
        } else {
            OnGraphqlAnalysisHookResult::EndWithResponse(self.refusal(estimated))
        }
    }
}
