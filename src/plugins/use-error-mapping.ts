import { type ExecutionArgs, type ExecutionResult, GraphQLError, Kind } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { DomainError, isDatabaseUnavailable } from '../errors/domain-error.js';
import type { ServiceContext } from '../services/service-context.js';
import { variableError } from './variable-issues.js';

/**
 * A failure nobody planned for, as the client sees it: a fixed message, INTERNAL_SERVER_ERROR,
 * and the request id (also in the `x-request-id` header) to quote to support. The real error
 * goes to the log under that id. A lost database connection is a 503 instead: it may pass.
 */
export function maskUnexpected(
  error: unknown,
  { requestId, logger }: { requestId: string; logger: Logger },
  at: Pick<GraphQLError, 'nodes' | 'path'> = { nodes: undefined, path: undefined },
): GraphQLError {
  const err = error as Error;
  if (isDatabaseUnavailable(error)) {
    logger.warn({ requestId, err: err?.message }, 'database unavailable');
    return new DomainError('SERVICE_UNAVAILABLE', 'Service unavailable: the database cannot be reached', {
      extra: { requestId },
    });
  }
  logger.error({ requestId, err: { message: err?.message, stack: err?.stack }, path: at.path }, 'unexpected error');
  return new GraphQLError('Unexpected error.', {
    nodes: at.nodes,
    path: at.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId, http: { status: 500 } },
  });
}

function mapError(error: GraphQLError, ctx: ServiceContext, args: ExecutionArgs): GraphQLError {
  const original = error.originalError;
  // A variable graphql-js refused to coerce (a wrong type, an unknown input field or enum value):
  // no field path, the variable's definition as node. Told again from the definition and the
  // value sent, with field details; graphql-js's own message prints the value.
  const node = error.nodes?.[0];
  if (error.path === undefined && node?.kind === Kind.VARIABLE_DEFINITION)
    return variableError(args.schema, node, args.variableValues);
  if (!original && !error.extensions?.code) {
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      extensions: { ...error.extensions, code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
  if (!original || original instanceof GraphQLError) return error; // DomainError and other deliberate errors
  return maskUnexpected(original, ctx, error);
}

/** One error per refused variable (graphql-js reports each issue of a variable on its own). */
function onePerVariable(errors: readonly GraphQLError[]): GraphQLError[] {
  const seen = new Set<unknown>();
  return errors.filter((e) => {
    const node = e.path === undefined ? e.nodes?.[0] : undefined;
    if (node?.kind !== Kind.VARIABLE_DEFINITION) return true;
    if (seen.has(node)) return false;
    seen.add(node);
    return true;
  });
}

/**
 * Expected errors keep their code; unexpected ones are logged with the request id and replaced
 * by a masked error carrying that id. This runs when execution is done, before Yoga's own
 * masking (a later plugin), which then leaves these errors alone and stays on as a backstop.
 */
export function useErrorMapping(): Plugin<ServiceContext> {
  const mapped = (result: ExecutionResult, args: ExecutionArgs): ExecutionResult | undefined => {
    if (!result.errors?.length) return undefined;
    const ctx = args.contextValue as unknown as ServiceContext;
    return { ...result, errors: onePerVariable(result.errors).map((e) => mapError(e, ctx, args)) };
  };
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult, args }) {
          if (!result || Symbol.asyncIterator in result) return;
          const next = mapped(result as ExecutionResult, args);
          if (next) setResult(next);
        },
      };
    },
    // Subscriptions too: a refusal at subscribe time, and each event's errors (an event's fault
    // is logged with the request id, as for a query, before the client sees it masked).
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult, args }) {
          if (!(Symbol.asyncIterator in result)) {
            const next = mapped(result, args);
            if (next) setResult(next);
            return;
          }
          return {
            onNext({ result: event, setResult: setEvent }) {
              const next = mapped(event, args);
              if (next) setEvent(next);
            },
          };
        },
      };
    },
  };
}
