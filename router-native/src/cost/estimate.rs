//! The estimated cost of one operation, by Hive Gateway's rule (router-config/limits.ts
//! operationCost) over the whole client operation, not each subgraph request of its plan as
//! 0.2.0's demand control prices it: a list that another subgraph resolves is sized by the
//! list around it, not taken as a default page. The numbers are the supergraph's `@listSize`
//! and `@cost` (crmgraph.gql.costs, from router-config/list-sizes.json), read as 0.2.0's
//! demand control reads them: every object (interface, union) costs 1 (or its `@cost`) times
//! the lists around it; a list is sized by its largest slicing argument (variables are read),
//! its `assumedSize`, else the default page; `sizedFields` pass a connection's size to its
//! `edges`; each input object in the arguments costs 1; a field or fragment that @skip or
//! @include leaves out costs nothing.

use std::collections::HashMap;

use hive_router::{
    executor::execution::demand_control::demand_control_definition_cost,
    query_planner::{
        ast::{
            operation::OperationDefinition,
            selection_item::SelectionItem,
            selection_set::{FieldSelection, SelectionSet},
            value::Value as Ast,
        },
        federation_spec::demand_control::ListSizeDirective,
        state::supergraph_state::{OperationKind, SupergraphDefinition, SupergraphState, TypeNode},
    },
    sonic_rs::{JsonContainerTrait, JsonValueTrait, Value as Json},
};

/// A variable's value: the request's, else the operation's default.
enum Var<'a> {
    Given(&'a Json),
    Default(&'a Ast),
}

pub struct Estimate<'a> {
    state: &'a SupergraphState,
    given: &'a HashMap<String, Json>,
    defaults: HashMap<&'a str, &'a Ast>,
    default_list_size: u64,
}

/// Sizes that a parent's `@listSize(sizedFields:)` hands down: (path below here, size).
type Sized = Vec<(Vec<String>, u64)>;

impl<'a> Estimate<'a> {
    pub fn new(
        state: &'a SupergraphState,
        operation: &'a OperationDefinition,
        given: &'a HashMap<String, Json>,
        default_list_size: u64,
    ) -> Self {
        let defaults = operation
            .variable_definitions
            .iter()
            .flatten()
            .filter_map(|d| d.default_value.as_ref().map(|v| (d.name.as_str(), v)))
            .collect();
        Self {
            state,
            given,
            defaults,
            default_list_size,
        }
    }

    /// The cost of `operation` (0 when its root type is unknown).
    pub fn operation(&self, operation: &OperationDefinition) -> u64 {
        let root = match operation.operation_kind {
            Some(OperationKind::Mutation) => self.state.mutation_type.as_deref(),
            Some(OperationKind::Subscription) => self.state.subscription_type.as_deref(),
            _ => Some(self.state.query_type.as_str()),
        };
        root.map_or(0, |root| {
            self.selections(&operation.selection_set, root, &Vec::new())
        })
    }

    fn var(&self, name: &str) -> Option<Var<'a>> {
        match self.given.get(name) {
            Some(value) => Some(Var::Given(value)),
            None => self.defaults.get(name).map(|v| Var::Default(v)),
        }
    }

    /// Whether @skip(if: $skip) / @include(if: $include) keep a selection.
    fn kept(&self, skip_if: &Option<String>, include_if: &Option<String>) -> bool {
        let is_true = |name: &String| match self.var(name) {
            Some(Var::Given(v)) => v.as_bool() == Some(true),
            Some(Var::Default(Ast::Boolean(b))) => *b,
            _ => false,
        };
        !skip_if.as_ref().is_some_and(is_true) && include_if.as_ref().is_none_or(is_true)
    }

    fn selections(&self, set: &SelectionSet, parent: &str, sized: &Sized) -> u64 {
        let mut cost = 0u64;
        for item in &set.items {
            let add = match item {
                SelectionItem::Field(field) if self.kept(&field.skip_if, &field.include_if) => {
                    let name = field.name.as_str();
                    let own = sized.iter().find(|(p, _)| p.len() == 1 && p[0] == name);
                    let below = sized
                        .iter()
                        .filter(|(p, _)| p.len() > 1 && p[0] == name)
                        .map(|(p, n)| (p[1..].to_vec(), *n))
                        .collect();
                    self.field(field, parent, own.map(|(_, n)| *n), below)
                }
                SelectionItem::InlineFragment(f) if self.kept(&f.skip_if, &f.include_if) => {
                    self.selections(&f.selections, &f.type_condition, sized)
                }
                // Normalization inlines fragment spreads before plugins see the operation.
                _ => 0,
            };
            cost = cost.saturating_add(add);
        }
        cost
    }

    fn field(
        &self,
        field: &FieldSelection,
        parent: &str,
        size: Option<u64>,
        mut sized: Sized,
    ) -> u64 {
        let Some(def) = self
            .state
            .definitions
            .get(parent)
            .and_then(|d| d.fields().get(field.name.as_str()))
        else {
            return 0; // __typename, introspection: leaves and meta fields cost nothing
        };
        let mut base = def.cost.as_ref().map_or(0, |c| c.weight);
        let arguments = field
            .arguments
            .iter()
            .flat_map(|a| a.keys().map(move |k| (k, a)));
        for (name, value) in arguments.filter_map(|(k, a)| Some((k, a.get_argument(k)?))) {
            if let Some(cost) = def.cost_by_arguments.get(name) {
                base = base.saturating_add(cost.weight);
            }
            if let Some(kind) = def.argument_types.get(name) {
                base = base.saturating_add(self.input_ast(value, kind));
            }
        }
        let mut own = size;
        if let Some(directive) = &def.list_size {
            let n = self.list_size(directive, field);
            match &directive.sized_fields {
                Some(paths) => sized.extend(paths.iter().map(|p| (p.clone(), n))),
                None if def.field_type.is_list() && own.is_none() => own = Some(n),
                None => {}
            }
        }
        if own.is_none() && def.field_type.is_list() {
            own = Some(self.default_list_size);
        }
        let named = def.field_type.inner_type();
        let each = demand_control_definition_cost(self.state, named)
            .saturating_add(self.selections(&field.selections, named, &sized));
        base.saturating_add(own.unwrap_or(1).saturating_mul(each))
    }

    fn list_size(&self, directive: &ListSizeDirective, field: &FieldSelection) -> u64 {
        if let Some(n) = directive.assumed_size {
            return n as u64;
        }
        let arguments = field.arguments.as_ref();
        directive
            .slicing_arguments
            .iter()
            .flatten()
            .filter_map(|path| {
                let value = arguments?.get_argument(&path[0])?;
                self.int_ast(value, &path[1..])
            })
            .max()
            .unwrap_or(self.default_list_size)
    }

    fn int_ast(&self, value: &Ast, path: &[String]) -> Option<u64> {
        match (value, path.split_first()) {
            (Ast::Int(n), None) => Some((*n).max(0) as u64),
            (Ast::List(items), None) => Some(items.len() as u64),
            (Ast::Object(fields), Some((head, rest))) => self.int_ast(fields.get(head)?, rest),
            (Ast::Variable(name), _) => match self.var(name)? {
                Var::Given(json) => int_json(json, path),
                Var::Default(ast) => self.int_ast(ast, path),
            },
            _ => None,
        }
    }

    /// 1 for each input object in an argument's value, nested ones and list items too.
    fn input_ast(&self, value: &Ast, kind: &TypeNode) -> u64 {
        match value {
            Ast::Variable(name) => match self.var(name) {
                Some(Var::Given(json)) => self.input_json(json, kind),
                Some(Var::Default(ast)) => self.input_ast(ast, kind),
                None => 0,
            },
            Ast::List(items) => match kind.unwrap_non_null() {
                TypeNode::List(inner) => items.iter().map(|i| self.input_ast(i, inner)).sum(),
                _ => 0,
            },
            Ast::Object(fields) => {
                self.input_object(kind, fields.iter().map(|(k, v)| (k.as_str(), v)), |v, t| {
                    self.input_ast(v, t)
                })
            }
            _ => 0,
        }
    }

    fn input_json(&self, value: &Json, kind: &TypeNode) -> u64 {
        if let Some(items) = value.as_array() {
            return match kind.unwrap_non_null() {
                TypeNode::List(inner) => items.iter().map(|i| self.input_json(i, inner)).sum(),
                _ => 0,
            };
        }
        match value.as_object() {
            Some(fields) => self.input_object(kind, fields.iter(), |v, t| self.input_json(v, t)),
            None => 0,
        }
    }

    fn input_object<'v, V: 'v>(
        &self,
        kind: &TypeNode,
        fields: impl Iterator<Item = (&'v str, &'v V)>,
        nested: impl Fn(&V, &TypeNode) -> u64,
    ) -> u64 {
        let TypeNode::Named(name) = kind.unwrap_non_null() else {
            return 0;
        };
        let Some(SupergraphDefinition::InputObject(input)) = self.state.definitions.get(name)
        else {
            return 0;
        };
        fields
            .filter_map(|(name, value)| {
                let f = input.fields.get(name)?;
                let weight = f.cost.as_ref().map_or(0, |c| c.weight);
                Some(weight.saturating_add(nested(value, &f.field_type)))
            })
            .fold(1u64, u64::saturating_add)
    }
}

fn int_json(value: &Json, path: &[String]) -> Option<u64> {
    if let Some((head, rest)) = path.split_first() {
        return int_json(value.as_object()?.get(head)?, rest);
    }
    value
        .as_u64()
        .or_else(|| value.as_i64().map(|n| n.max(0) as u64))
        .or_else(|| value.as_array().map(|a| a.len() as u64))
}
