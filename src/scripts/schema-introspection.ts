import { minifyIntrospection, outputIntrospectionFile } from '@gql.tada/internal';
import { type GraphQLSchema, introspectionFromSchema } from 'graphql';

/** Where `npm run schema` writes the schema as a TypeScript type (src/rest/typed-graphql.ts reads it). */
export const SCHEMA_INTROSPECTION_FILE = new URL('../rest/schema-introspection.d.ts', import.meta.url);

/**
 * The schema as the TypeScript type gql.tada infers route documents' results from: generated from
 * the code like schema.graphql, never edited by hand (a test compares it with this output).
 */
export function schemaIntrospectionSource(schema: GraphQLSchema): string {
  const introspection = minifyIntrospection(introspectionFromSchema(schema, { descriptions: false }));
  return outputIntrospectionFile(introspection, { fileType: '.d.ts', shouldPreprocess: true });
}
