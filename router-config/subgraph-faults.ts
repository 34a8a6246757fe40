// What a client sees when a subgraph dies or stops answering (router-config/README.md,
// "Subgraph faults"; README.md, Live data): SERVICE_UNAVAILABLE with retryAfter, the code
// and the time crmgraph.errors gives a request whose backing service is down, instead of a
// hang or a subscription that looks as if it ended normally.
//
// - A query or mutation's request to a subgraph is given up after CRMGRAPH_SUBGRAPH_TIMEOUT_MS
//   (a paused process holds the connection open and never answers), or fails to reach it (a
//   refused connection, a balancer's 502/503/504 page). The client gets the error on the
//   fields that subgraph was to resolve, with HTTP 503 and Retry-After; what other subgraphs
//   answered is still in `data`.
// - A subscription whose subgraph WebSocket is lost (the process killed, a network cut) ends
//   with a `next` carrying that error, then `complete`. The graphql-ws client under Hive
//   Gateway's WebSocket transport would otherwise reconnect and subscribe again in silence
//   (events of the gap lost), or end the stream with `complete` alone when it gives up.
import type { GatewayPlugin } from '@graphql-hive/gateway';
import { getOperationAST, GraphQLError } from 'graphql';

/** crmgraph.errors.RETRY_AFTER_SECONDS. */
export const RETRY_AFTER_SECONDS = 5;
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 10_000;

/** CRMGRAPH_SUBGRAPH_TIMEOUT_MS: a positive integer, or the gateway does not start. */
export function subgraphTimeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = (env.CRMGRAPH_SUBGRAPH_TIMEOUT_MS ?? '').trim();
  if (!raw) return DEFAULT_SUBGRAPH_TIMEOUT_MS;
  if (!/^[0-9]+$/.test(raw) || Number(raw) <= 0) {
    throw new Error(`CRMGRAPH_SUBGRAPH_TIMEOUT_MS must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** The error a client gets for a subgraph that did not answer; `http` is Yoga's (never sent). */
export function unavailable(subgraph: string, overHttp: boolean): GraphQLError {
  const extensions: Record<string, unknown> = { code: 'SERVICE_UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS };
  if (overHttp) {
    extensions.http = { status: 503, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } };
  }
  return new GraphQLError(`the ${subgraph} service is unavailable; try again in ${RETRY_AFTER_SECONDS} s`, {
    extensions,
  });
}

function isAsyncIterable(value: any): value is AsyncIterable<any> {
  return value != null && typeof value[Symbol.asyncIterator] === 'function';
}

/**
 * The subgraph's event stream, ending with one SERVICE_UNAVAILABLE result when the subgraph's
 * WebSocket fails under it (the graphql-ws client throws its close or error event) rather than
 * by the subgraph's `complete` or the client's unsubscribing.
 */
function guardedStream(source: AsyncIterable<any>, subgraph: string): AsyncIterable<any> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = source[Symbol.asyncIterator]();
      let finished = false;
      return {
        async next() {
          if (finished) return { done: true, value: undefined };
          try {
            return await iterator.next();
          } catch (error) {
            if (error instanceof GraphQLError) throw error;
            finished = true;
            return { done: false, value: { errors: [unavailable(subgraph, false)] } };
          }
        },
        async return(value?: any) {
          finished = true;
          return (await iterator.return?.(value)) ?? { done: true, value };
        },
      };
    },
  };
}

/**
 * Whether a subgraph's answer says it could not be reached rather than what it resolved: the
 * HTTP executor's result for a failed fetch (connection refused or reset: SUBREQUEST_HTTP_ERROR)
 * or for a 502, 503 or 504 whose body is no GraphQL response (a balancer with no process of the
 * subgraph in rotation, such as HAProxy's "No server is available", or a proxy that timed out:
 * RESPONSE_VALIDATION_FAILED with the response's status). A subgraph's own 503 is a GraphQL
 * response with its SERVICE_UNAVAILABLE and passes as it is.
 */
export function unreachable(result: any): boolean {
  const errors = result?.errors;
  if (result?.data != null || !Array.isArray(errors) || errors.length === 0) return false;
  return errors.every((error: any) => {
    const extensions = error?.extensions ?? {};
    if (extensions.code === 'SUBREQUEST_HTTP_ERROR') return true;
    const status = Number(extensions.response?.status);
    return extensions.code === 'RESPONSE_VALIDATION_FAILED' && [502, 503, 504].includes(status);
  });
}

/**
 * A request that cannot take longer than `ms`: on time-out its fetch is aborted. An answer
 * that says the subgraph could not be reached (unreachable) is SERVICE_UNAVAILABLE too.
 */
function bounded(executor: any, request: any, subgraph: string, ms: number): Promise<any> {
  const timeout = AbortSignal.timeout(ms);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let onAbort = () => {};
  const expired = new Promise((_, reject) => {
    onAbort = () => reject(unavailable(subgraph, true));
    timeout.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([Promise.resolve(executor({ ...request, signal })), expired])
    .then((result) => {
      if (unreachable(result)) throw unavailable(subgraph, true);
      return result;
    })
    .catch((error) => {
      throw timeout.aborted ? unavailable(subgraph, true) : error;
    })
    .finally(() => timeout.removeEventListener('abort', onAbort));
}

export function subgraphFaults(timeoutMs: number): GatewayPlugin {
  return {
    onSubgraphExecute({ subgraphName, executionRequest, executor, setExecutor }) {
      const operation = getOperationAST(executionRequest.document, executionRequest.operationName)?.operation;
      if (operation === 'subscription') {
        setExecutor((request: any) =>
          Promise.resolve(executor(request)).then((result: any) =>
            isAsyncIterable(result) ? guardedStream(result, subgraphName) : result,
          ),
        );
        return;
      }
      setExecutor((request: any) => bounded(executor, request, subgraphName, timeoutMs));
    },
  };
}
