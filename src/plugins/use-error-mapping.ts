import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { DomainError, isDatabaseUnavailable } from '../errors/domain-error.js';
import type { ServiceContext } from '../services/service-context.js';

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
    return new DomainError('SERVICE_UNAVAILABLE', 'Service unavailable: the database cannot be reached', { extra: { requestId } });
  }
  logger.error({ requestId, err: { message: err?.message, stack: err?.stack }, path: at.path }, 'unexpected error');
  return new GraphQLError('Unexpected error.', {
    nodes: at.nodes,
    path: at.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId, http: { status: 500 } },
  });
}

/** graphql-js's variable coercion message: `Variable "$v" got invalid value <value>[ at "v.a.b"]; <reason>`. */
const COERCION_HEAD = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value /;
/** The path suffix graphql-js prints after the value: names and list indexes only, so never part of a value. */
const COERCION_AT = / at "([_A-Za-z][_0-9A-Za-z]*(?:\.[_A-Za-z][_0-9A-Za-z]*|\[\d+\])*)"$/;

/**
 * graphql-js echoes the offending input value in a variable coercion message, e.g.
 * `got invalid value { webhookSigningSecret: "…", bogus: 1 }; Field "bogus" is not defined`:
 * the whole input object at the failing path, secrets included, and scalars repeat the value in
 * the reason (`String cannot represent a non string value: …`). That message would go back to
 * the client and on into REST error bodies. Keep the variable, the field path and the reason;
 * drop the value. Returns null for any other message.
 */
export function withoutEchoedValue(message: string, reason: string | undefined): string | null {
  const head = COERCION_HEAD.exec(message);
  if (!head) return null;
  // The reason graphql-js appended is the wrapped error's own message, when it has one.
  const tail = reason && message.endsWith(`; ${reason}`) ? reason : message.slice(message.indexOf('; ') + 2 || message.length);
  const middle = message.slice(head[0].length, message.length - tail.length - 2);
  const at = COERCION_AT.exec(middle);
  const echoed = at ? middle.slice(0, at.index) : middle;
  const cleanReason = echoed
    ? tail.split(`: ${echoed}`).join('').split(` ${echoed}`).join('').split(echoed).join('(value)')
    : tail;
  return `Variable "$${head[1]}" got invalid value${at ? ` at "${at[1]}"` : ''}; ${cleanReason}`;
}

function mapError(error: GraphQLError, ctx: ServiceContext): GraphQLError {
  const original = error.originalError;
  // Variable coercion errors (a wrong type, an unknown input field or enum value) carry no code
  // and no field path; graphql-js may wrap the input type's own GraphQLError in them (whose
  // extensions, e.g. a scalar's BAD_USER_INPUT, it then takes over).
  const isCoercion = !original || (original instanceof GraphQLError && error.path === undefined);
  if (isCoercion) {
    const message = withoutEchoedValue(error.message, original?.message);
    if (message !== null || !error.extensions?.code) {
      return new GraphQLError(message ?? error.message, {
        nodes: error.nodes,
        extensions: { ...error.extensions, code: 'BAD_USER_INPUT', http: { status: 400 } },
      });
    }
  }
  if (!original || original instanceof GraphQLError) return error; // DomainError and other deliberate errors
  return maskUnexpected(original, ctx, error);
}

/**
 * Expected errors keep their code; unexpected ones are logged with the request id and replaced
 * by a masked error carrying that id. This runs when execution is done, before Yoga's own
 * masking (a later plugin), which then leaves these errors alone and stays on as a backstop.
 */
export function useErrorMapping(): Plugin<ServiceContext> {
  return {
    onExecute() {
      return {
        onExecuteDone({ result, setResult, args }) {
          if (!result || Symbol.asyncIterator in result) return;
          const single = result as ExecutionResult;
          if (!single.errors?.length) return;
          const ctx = args.contextValue as unknown as ServiceContext;
          setResult({ ...single, errors: single.errors.map((e) => mapError(e, ctx)) });
        },
      };
    },
  };
}
