import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from '../auth/principal.js';
import { requestInfo } from '../http/request-info.js';
import type { ServiceContext } from '../services/service-context.js';

/** graphql-js' hint at names the schema holds: ` Did you mean "x"?`, `… the enum value "Y"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

const withoutSuggestions = (error: GraphQLError) =>
  SUGGESTION.test(error.message)
    ? new GraphQLError(error.message.replace(SUGGESTION, ''), {
        nodes: error.nodes,
        path: error.path,
        extensions: error.extensions,
        originalError: error.originalError,
      })
    : error;

/**
 * "Did you mean …" names fields, arguments, types and enum values: the schema, to whoever asks.
 * Callers without a valid key get errors without it — validation errors (answered before the
 * key is looked up: `principalOf` resolves it, only when there is a suggestion to hide) and
 * variable coercion errors (enum values) alike.
 */
export function useHiddenSuggestions(principalOf: (request: Request) => Promise<Principal>): Plugin<ServiceContext> {
  const hide = (result: ExecutionResult): ExecutionResult | null => {
    if (
      !result.errors?.some((e) => {
        SUGGESTION.lastIndex = 0;
        return SUGGESTION.test(e.message);
      })
    )
      return null;
    return {
      ...result,
      errors: result.errors.map((e) => {
        SUGGESTION.lastIndex = 0;
        return withoutSuggestions(e);
      }),
    };
  };
  return {
    onExecute({ args }) {
      const ctx = args.contextValue as unknown as ServiceContext;
      if (ctx.principal && ctx.principal.kind !== 'anonymous') return;
      return {
        onExecuteDone({ result, setResult }) {
          if (!result || Symbol.asyncIterator in result) return;
          const hidden = hide(result as ExecutionResult);
          if (hidden) setResult(hidden);
        },
      };
    },
    async onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      if (!hide(result as ExecutionResult)) return;
      const principal = requestInfo(request).principal ?? (await principalOf(request).catch(() => undefined));
      if (principal && principal.kind !== 'anonymous') return;
      setResult(hide(result as ExecutionResult)!);
    },
  };
}
