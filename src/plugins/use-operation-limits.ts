import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  parse,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DomainError, unauthenticated } from '../errors/domain-error.js';
import {
  brokenShapeLimit,
  DEFAULT_OPERATION_LIMITS,
  type OperationLimits,
  type OperationShape,
  operationCost,
  operationShape,
} from '../limits/operation-limits.js';
import type { ServiceContext } from '../services/service-context.js';

/** The refusal of a request over a limit: 400 OPERATION_LIMIT_EXCEEDED naming the limit. */
function limitExceeded(limit: keyof OperationLimits, found: number, max: number, what: string): DomainError {
  return new DomainError(
    'OPERATION_LIMIT_EXCEEDED',
    `Operation refused: ${what} ${found} is over the limit ${limit} = ${max}`,
    {
      extra: { limit, max },
    },
  );
}

const TOO_MANY_TOKENS = /^Syntax Error: Document contains more tha[nt] \d+ tokens/;

const WHAT: Partial<Record<keyof OperationLimits, string>> = {
  maxDepth: 'depth',
  maxAliases: 'aliases',
  maxDirectives: 'directives',
  maxCost: 'estimated cost',
};

/**
 * Bounded work per request (src/limits/operation-limits.ts), each check before the step it
 * protects: the query text's size and the variables' size as soon as the request is read
 * (the body itself is capped by useBodyLimit); tokens while parsing (the parser stops at the
 * limit, so 10 MB of aliases is never parsed whole); depth, aliases, directives and the
 * expanded field count on the parsed document before validation, once per document (memoised
 * and linear); for a caller without a valid key the variables' size before they are coerced; the
 * estimated cost with the request's variables before execution; the response's size after.
 * The REST routes run the same parse/execute hooks.
 */
export function useOperationLimits(overrides: Partial<OperationLimits> = {}): Plugin<ServiceContext> {
  const limits: OperationLimits = { ...DEFAULT_OPERATION_LIMITS, ...overrides };
  const shapes = new WeakMap<DocumentNode, OperationShape>();
  /**
   * Costs that no request's variables can change (no page size from a variable), by document and
   * operation name: a REST route's operation is costed once, not on every request.
   */
  const fixedCosts = new WeakMap<DocumentNode, Map<string, ReturnType<typeof operationCost> & { mutation: boolean }>>();
  const costOf = (
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | null | undefined,
  ) => {
    let byName = fixedCosts.get(document);
    const known = byName?.get(operationName ?? '');
    if (known) return known;
    const operation = getOperationAST(document, operationName);
    const cost = {
      ...operationCost(schema, document, operationName, variables),
      // A write's response echoes what it wrote: refusing it after the write would lie about the outcome.
      mutation: operation?.operation === 'mutation',
    };
    // Only operations the document holds (a client's other names would grow the map).
    if (cost.variablePaged || !operation) return cost;
    if (!byName) fixedCosts.set(document, (byName = new Map()));
    byName.set(operationName ?? '', cost);
    return cost;
  };

  return {
    onParams({ params, setResult }) {
      const query = params.query ?? '';
      // A UTF-8 byte is at most one UTF-16 unit, so short text needs no byte count.
      if (query.length > limits.maxQueryBytes / 3 && Buffer.byteLength(query) > limits.maxQueryBytes) {
        setResult({
          errors: [
            limitExceeded('maxQueryBytes', Buffer.byteLength(query), limits.maxQueryBytes, 'query text of bytes'),
          ],
        });
        return;
      }
      if (params.variables) {
        const bytes = Buffer.byteLength(JSON.stringify(params.variables));
        if (bytes > limits.maxVariablesBytes)
          setResult({
            errors: [limitExceeded('maxVariablesBytes', bytes, limits.maxVariablesBytes, 'variables of bytes')],
          });
      }
    },
    onParse({ setParseFn }) {
      setParseFn((source, options) => parse(source, { ...options, maxTokens: limits.maxTokens }));
      return ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError && TOO_MANY_TOKENS.test(result.message)) {
          replaceParseResult(limitExceeded('maxTokens', limits.maxTokens + 1, limits.maxTokens, 'tokens, at least'));
          return;
        }
        if (!result || result instanceof Error) return;
        let shape = shapes.get(result);
        if (!shape) shapes.set(result, (shape = operationShape(result)));
        const broken = brokenShapeLimit(shape, limits);
        if (broken) {
          const [limit, found, max] = broken;
          replaceParseResult(limitExceeded(limit, found, max, limit === 'maxCost' ? 'field count' : WHAT[limit]!));
        }
      };
    },
    // Yoga marks every parse-stage error as a spec error (`http.spec`), which it answers with 200 to
    // application/json clients; a refusal by limit is a 400 whatever the client accepts.
    onResultProcess({ result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        if (!single || Symbol.asyncIterator in single) continue;
        for (const error of (single as ExecutionResult).errors ?? []) {
          const http = error.extensions?.http as { spec?: boolean } | undefined;
          if (error.extensions?.code === 'OPERATION_LIMIT_EXCEEDED' && http?.spec) delete http.spec;
        }
      }
    },
    onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as unknown as ServiceContext;
      const variables = args.variableValues as Record<string, unknown> | null | undefined;
      // Public fields take a token or nothing: a keyless caller's large variables are refused
      // as unauthenticated before graphql-js coerces them.
      if (ctx.principal?.kind === 'anonymous' && variables) {
        const bytes = Buffer.byteLength(JSON.stringify(variables));
        if (bytes > limits.maxAnonymousVariablesBytes) {
          setResultAndStopExecution({
            errors: [
              unauthenticated(
                `A valid API key is required for variables over ${limits.maxAnonymousVariablesBytes} bytes (maxAnonymousVariablesBytes)`,
              ),
            ],
          });
          return;
        }
      }
      const { cost, heavy, mutation } = costOf(args.schema, args.document, args.operationName, variables);
      if (cost > limits.maxCost) {
        setResultAndStopExecution({ errors: [limitExceeded('maxCost', cost, limits.maxCost, 'estimated cost')] });
        return;
      }
      // Small answers are not measured: only a weighted field (a report) or a large estimate can
      // come near the response limit.
      if ((!heavy && cost <= 500) || mutation) return;
      return {
        onExecuteDone({ result, setResult }) {
          if (!result || Symbol.asyncIterator in result) return;
          const single = result as ExecutionResult;
          if (!single.data) return;
          const text = JSON.stringify(single.data);
          const bytes = Buffer.byteLength(text);
          if (bytes > limits.maxResponseBytes) {
            setResult({
              errors: [limitExceeded('maxResponseBytes', bytes, limits.maxResponseBytes, 'response of bytes')],
            });
            return;
          }
          // Serialized once: yoga's result processor uses a result's own `stringify`.
          setResult(Object.assign({ ...single }, { stringify: stringifyReusing(single.data, text) }));
        },
      };
    },
  };
}

/**
 * A result's `stringify` that answers with `text` (the serialized `data`) while the result is
 * still only that data; a result changed since (errors added) is serialized afresh.
 */
function stringifyReusing(data: unknown, text: string): (result: ExecutionResult) => string {
  return (result) => {
    for (const key in result)
      if (key !== 'data' && key !== 'stringify' && (result as Record<string, unknown>)[key] !== undefined)
        return JSON.stringify(result);
    return result.data === data ? `{"data":${text}}` : JSON.stringify(result);
  };
}
