// Abuse limits for GraphQL requests. Every limit refuses a request before the
// gateway plans or executes it, so a refused request never reaches a subgraph.
//
// Depth, aliases and tokens use the graphql-armor plugins that Hive Gateway
// bundles (its own `maxDepth`/`maxTokens` options give errors without a code).
// The cost limit is ours: Hive Gateway's `demandControl` prices each subgraph
// request as it is sent, so the first subgraph has already run when a nested
// list in another subgraph takes the total over the limit.
import { readFileSync } from 'node:fs';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GatewayPlugin } from '@graphql-hive/gateway';
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isInputObjectType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
  type ValidationContext,
  valueFromAST,
} from 'graphql';
import { getArgumentValues, getDirectiveValues } from 'graphql/execution/values.js';

/** The page a connection returns without first/last (the subgraphs' DEFAULT_PAGE_SIZE). */
export const DEFAULT_PAGE_SIZE = 20;

/** The subgraphs' largest page (Settings.max_page_size's default). */
export const MAX_PAGE_SIZE = 100;

/**
 * The most items each list field without a slicing argument returns, keyed `Type.field`:
 * list-sizes.json, the one source of list sizes. The subgraphs print the same numbers as
 * `@listSize(assumedSize:)` into the supergraph (crmgraph.gql.costs), which is what Hive
 * Router's demand control prices by. Each is a true bound that the subgraphs enforce;
 * tests/unit/test_list_bounds.py checks that every list field of the supergraph is sliced
 * or listed there, and that these numbers are the subgraphs'. Lists of scalars and enums
 * are left out: leaves cost nothing.
 */
export const LIST_SIZES: Readonly<Record<string, number>> = JSON.parse(
  readFileSync(new URL('./list-sizes.json', import.meta.url), 'utf8'),
).lists;

/** Arguments that size a list, as GitHub's `first`/`last` and Apollo's `slicingArguments`. */
const SLICING_ARGUMENTS = ['first', 'last', 'pagination'];

export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
  maxBodyBytes: number;
  introspection: boolean;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 2000,
  maxCost: 8000,
  maxBodyBytes: 1_000_000,
  introspection: true,
};

/** Limits from CRMGRAPH_MAX_* and CRMGRAPH_INTROSPECTION; a bad value stops the gateway. */
export function limitsFromEnv(env: NodeJS.ProcessEnv): Limits {
  const positive = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    throw new Error(`${name} must be true or false, got ${JSON.stringify(raw)}`);
  };
  return {
    maxDepth: positive('CRMGRAPH_MAX_DEPTH', DEFAULT_LIMITS.maxDepth),
    maxAliases: positive('CRMGRAPH_MAX_ALIASES', DEFAULT_LIMITS.maxAliases),
    maxTokens: positive('CRMGRAPH_MAX_TOKENS', DEFAULT_LIMITS.maxTokens),
    maxCost: positive('CRMGRAPH_MAX_COST', DEFAULT_LIMITS.maxCost),
    maxBodyBytes: positive('CRMGRAPH_MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes),
    introspection: flag('CRMGRAPH_INTROSPECTION', DEFAULT_LIMITS.introspection),
  };
}

/** The armor plugins prefix every message with "Syntax Error: ", which these are not. */
const plain = (error: GraphQLError): string => error.message.replace(/^Syntax Error: /, '');

const coded = (message: string, extensions: Record<string, unknown>): GraphQLError =>
  new GraphQLError(message, { extensions });

/** A validation rule failure reported with a code instead of thrown without one. */
const reportWith =
  (code: string, limit: number) =>
  (context: ValidationContext | null, error: GraphQLError): void => {
    context?.reportError(coded(plain(error), { code, limit }));
  };

/** Refuses bodies over `limit` bytes with HTTP 413, before they are read into memory. */
function limitBodySize(limit: number): GatewayPlugin {
  const tooLarge = () =>
    coded(`Request body is larger than ${limit} bytes`, {
      code: 'REQUEST_ENTITY_TOO_LARGE',
      limit,
      http: { status: 413 },
    });
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      const declared = request.headers.get('content-length');
      if (declared !== null && Number(declared) > limit) {
        throw tooLarge();
      }
      if (!requestParser || !request.body) {
        return;
      }
      // Chunked bodies carry no Content-Length: count the bytes as they arrive.
      setRequestParser((req: Request) => {
        let read = 0;
        const counted = req.body!.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              read += chunk.byteLength;
              if (read > limit) {
                controller.error(tooLarge());
                return;
              }
              controller.enqueue(chunk);
            },
          }),
        );
        return requestParser(
          new Request(req.url, {
            method: req.method,
            headers: req.headers,
            body: counted,
            signal: req.signal,
            duplex: 'half',
          } as RequestInit),
        );
      });
    },
  } as GatewayPlugin;
}

/**
 * The estimated cost of one operation, as Apollo Router's demand control and
 * GitHub's node count estimate it: every object (or interface or union) field
 * costs 1 at every level, times the sizes of the lists around it. A connection's
 * size is `first`, `last`, `pagination.first` or `pagination.last` (variables are
 * read), else DEFAULT_PAGE_SIZE; any other list's is its bound in LIST_SIZES.
 * Connection, edge and PageInfo wrappers and scalars cost nothing, so
 * `deals(first: 20) { edges { node { id } } }` costs 20. Each input object in a
 * field's arguments costs 1 (`pagination: {first: 20}` adds 1), and a field that
 * @skip/@include leaves out costs nothing: the rules of Hive Router's demand
 * control, so both routers price an operation alike (README: Limits).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  }
  const operation = operationName
    ? operations.find((op) => op.name?.value === operationName)
    : operations[0];
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;

  const walk = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    factor: number,
    spreading: ReadonlySet<string>,
  ): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field =
          isObjectType(parent) || isInterfaceType(parent)
            ? parent.getFields()[selection.name.value]
            : undefined;
        if (!field || selection.name.value.startsWith('__') || !included(selection, variables)) {
          continue;
        }
        const named = getNamedType(field.type);
        cost += factor * argumentsCost(field, selection, variables);
        const inner = factor * listSize(field, parent, selection, variables);
        if (isCompositeType(named) && !isWrapper(named.name)) cost += inner;
        if (selection.selectionSet && isCompositeType(named)) {
          cost += walk(selection.selectionSet, named, inner, spreading);
        }
      } else if (!included(selection, variables)) {
        continue;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parent;
        if (type && isCompositeType(type)) cost += walk(selection.selectionSet, type, factor, spreading);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        const type = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && type && isCompositeType(type) && !spreading.has(name)) {
          cost += walk(fragment.selectionSet, type, factor, new Set([...spreading, name]));
        }
      }
    }
    return cost;
  };
  return walk(operation.selectionSet, root, 1, new Set());
}

/** Whether @skip/@include keep a selection, by their literal or variable `if`. */
function included(node: SelectionNode, variables: Record<string, unknown>): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node, variables);
  if (skip?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/** 1 for each input object in a field's arguments, nested ones and list items too. */
function argumentsCost(
  field: GraphQLField<unknown, unknown>,
  node: FieldNode,
  variables: Record<string, unknown>,
): number {
  let cost = 0;
  for (const argument of node.arguments ?? []) {
    const type = field.args.find((arg) => arg.name === argument.name.value)?.type;
    if (type) cost += inputCost(valueFromAST(argument.value, type, variables) ?? null, type);
  }
  return cost;
}

function inputCost(value: unknown, type: GraphQLInputType): number {
  if (value === null || value === undefined) return 0;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    return Array.isArray(value)
      ? value.reduce((sum: number, item) => sum + inputCost(item, nullable.ofType), 0)
      : 0;
  }
  if (!isInputObjectType(nullable) || typeof value !== 'object') return 0;
  const fields = nullable.getFields();
  let cost = 1;
  for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
    if (fields[name]) cost += inputCost(item, fields[name].type);
  }
  return cost;
}

const isWrapper = (typeName: string): boolean =>
  typeName === 'PageInfo' || typeName.endsWith('Connection') || typeName.endsWith('Edge');

function listSize(
  field: GraphQLField<unknown, unknown>,
  parent: GraphQLCompositeType,
  node: Parameters<typeof getArgumentValues>[1],
  variables: Record<string, unknown>,
): number {
  const slicing = field.args.some((arg) => SLICING_ARGUMENTS.includes(arg.name));
  if (slicing) {
    let args: Record<string, any> = {};
    try {
      args = getArgumentValues(field, node, variables);
    } catch {
      // Bad argument values fail validation or execution with their own error.
    }
    const sizes = [args.first, args.last, args.pagination?.first, args.pagination?.last].filter(
      (n): n is number => typeof n === 'number' && n >= 0,
    );
    return sizes.length ? Math.max(...sizes) : DEFAULT_PAGE_SIZE;
  }
  if (!isListType(getNullableType(field.type))) return 1;
  // A connection's edges are sized by the connection's page.
  if (parent.name.endsWith('Connection') && field.name === 'edges') return 1;
  // An undeclared list (the unit test keeps there being none) is priced as a full page.
  return LIST_SIZES[`${parent.name}.${field.name}`] ?? MAX_PAGE_SIZE;
}

/** Refuses operations whose estimated cost is over `maxCost`, before execution. */
function limitCost(maxCost: number): GatewayPlugin {
  const check = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Record<string, unknown> | null;
  }) => {
    const estimated = operationCost(
      args.schema,
      args.document,
      args.operationName,
      args.variableValues ?? {},
    );
    if (estimated <= maxCost) return null;
    return {
      errors: [
        coded(`Query cost ${estimated} exceeds the maximum of ${maxCost}`, {
          code: 'COST_ESTIMATED_TOO_EXPENSIVE',
          cost: { estimated, max: maxCost },
        }),
      ],
    };
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const refused = check(args as any);
      if (refused) setResultAndStopExecution(refused);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = check(args as any);
      if (refused) setResultAndStopExecution(refused);
    },
  } as GatewayPlugin;
}

/** Every abuse limit as gateway plugins, in the order they can refuse a request. */
export function abuseLimitPlugins(limits: Limits): GatewayPlugin[] {
  const tokensExceeded = (_: unknown, error: GraphQLError) => {
    throw coded(plain(error), { code: 'MAX_TOKENS_EXCEEDED', limit: limits.maxTokens });
  };
  return [
    limitBodySize(limits.maxBodyBytes),
    maxTokensPlugin({ n: limits.maxTokens, onReject: [tokensExceeded] }) as GatewayPlugin,
    maxDepthPlugin({
      n: limits.maxDepth,
      // Count fields, not the fragments that group them.
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [reportWith('MAX_DEPTH_EXCEEDED', limits.maxDepth)],
    }) as GatewayPlugin,
    maxAliasesPlugin({
      n: limits.maxAliases,
      propagateOnRejection: false,
      onReject: [reportWith('MAX_ALIASES_EXCEEDED', limits.maxAliases)],
    }) as GatewayPlugin,
    limitCost(limits.maxCost),
  ];
}
