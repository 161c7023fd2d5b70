import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError, isDatabaseUnavailable } from '../errors/domain-error.js';
import type { ServiceContext } from '../services/service-context.js';

function mapError(error: GraphQLError, ctx: ServiceContext): GraphQLError {
  const original = error.originalError;
  if (!original) {
    // Variable coercion errors (a wrong type, an unknown input field) come without a code.
    if (error.extensions?.code) return error;
    return new GraphQLError(error.message, {
      nodes: error.nodes, path: error.path,
      extensions: { ...error.extensions, code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
  // Variable coercion (e.g. an unknown enum value in $input) wraps the type's own GraphQLError,
  // which carries no code; it has no field path, unlike an error thrown by a resolver.
  if (original instanceof GraphQLError && !error.extensions?.code && error.path === undefined) {
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      extensions: { ...error.extensions, code: 'BAD_USER_INPUT', http: { status: 400 } },
    });
  }
  if (original instanceof GraphQLError) return error; // DomainError and other deliberate errors
  if (isDatabaseUnavailable(original)) {
    ctx.logger.warn({ requestId: ctx.requestId, err: original.message }, 'database unavailable');
    return new DomainError('SERVICE_UNAVAILABLE', 'Service unavailable: the database cannot be reached', { extra: { requestId: ctx.requestId } });
  }
  ctx.logger.error({ requestId: ctx.requestId, err: { message: original.message, stack: original.stack }, path: error.path }, 'unexpected error');
  return new GraphQLError('Unexpected error.', {
    nodes: error.nodes, path: error.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: ctx.requestId, http: { status: 500 } },
  });
}

/**
 * Expected errors keep their code; unexpected ones are logged with the request id and replaced
 * by a masked error carrying that id. Yoga's own masking stays on behind this as a backstop.
 */
export function useErrorMapping(): Plugin<ServiceContext> {
  return {
    onExecutionResult({ result, setResult, context }) {
      if (!result || Symbol.asyncIterator in result) return;
      const single = result as ExecutionResult;
      if (!single.errors?.length) return;
      setResult({ ...single, errors: single.errors.map((e) => mapError(e, context as unknown as ServiceContext)) });
    },
  };
}
