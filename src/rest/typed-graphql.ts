import { initGraphQLTada } from 'gql.tada';
import type { introspection } from './schema-introspection.js';

/**
 * The REST routes' GraphQL documents, typed from the schema: `graphql('query … { … }')` is a
 * DocumentNode whose result type gql.tada infers from the selection and the schema's type
 * (src/rest/schema-introspection.d.ts, written by `npm run schema`), so a route lists its fields
 * once, in its document, and `respond` is checked against them.
 */
export const graphql = initGraphQLTada<{
  introspection: introspection;
  // As results carry them once serialized (the resolvers' types are in src/schema/builder.ts).
  scalars: { ID: string; DateTime: string; JSON: unknown };
  // A fragment shared by two routes' documents is part of their data, as in the response.
  disableMasking: true;
}>();

export type { ResultOf, TadaDocumentNode } from 'gql.tada';
