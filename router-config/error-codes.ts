// Every error the router answers carries `extensions.code` (README, "The API today").
//
// graphql-js refuses a request's variables (a null for a non-null type, an Int past 32 bits,
// a string for an ID list) with errors that have no code, and Yoga passes them on as they
// are; found by the fuzzers (tests/fuzz). They get BAD_USER_INPUT, Apollo's code for input
// that does not fit the schema. Errors of a field (with a `path`) come from the subgraphs or
// the gateway's masking, which always set a code, and are left alone.
//
// One table for both routers (error-codes.json): crmgraph.native_router gives it to Hive
// Router's crmgraph_error_codes plugin, which also renames that router's own codes; those
// never come from Hive Gateway, whose refusals already carry the codes the table names.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GatewayPlugin } from '@graphql-hive/gateway';
import { GraphQLError } from 'graphql';

const TABLE = JSON.parse(
  readFileSync(fileURLToPath(new URL('./error-codes.json', import.meta.url)), 'utf8'),
) as { uncoded: string };

export const UNCODED_INPUT = TABLE.uncoded;

function needsCode(error: any): boolean {
  return !error?.extensions?.code && !error?.path;
}

function coded(error: any): any {
  if (!needsCode(error)) return error;
  return new GraphQLError(String(error?.message ?? error), {
    nodes: error?.nodes,
    source: error?.source,
    positions: error?.positions,
    originalError: error?.originalError,
    extensions: { ...(error?.extensions ?? {}), code: UNCODED_INPUT },
  });
}

function withCodes(result: any): any {
  if (!result || typeof result !== 'object' || Symbol.asyncIterator in result) return result;
  if (Array.isArray(result)) return result.map(withCodes);
  if (!Array.isArray(result.errors) || !result.errors.some(needsCode)) return result;
  return { ...result, errors: result.errors.map(coded) };
}

export const errorCodes: GatewayPlugin = {
  onResultProcess({ result, setResult }) {
    const next = withCodes(result);
    if (next !== result) setResult(next);
  },
};
