import type * as GraphQLRateLimit from 'graphql-rate-limit';

let loading: Promise<typeof GraphQLRateLimit> | undefined;
let loaded: typeof GraphQLRateLimit | undefined;

/**
 * graphql-rate-limit (its identity builder and its error class), loaded on first use rather
 * than with the process: the package loads graphql-shield and yup with it, ~250 ms of start-up
 * measured here, for two small functions. The gateway preloads it once it is ready (src/main.ts).
 */
export function graphqlRateLimit(): Promise<typeof GraphQLRateLimit> {
  loading ??= import('graphql-rate-limit').then((module) => (loaded = module));
  return loading;
}

/** The package once loaded (then a charge needs no await for it), else undefined. */
export function loadedGraphqlRateLimit(): typeof GraphQLRateLimit | undefined {
  return loaded;
}
