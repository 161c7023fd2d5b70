import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../schema/index.js';
import { SCHEMA_INTROSPECTION_FILE, schemaIntrospectionSource } from './schema-introspection.js';

// `npm run schema`: schema.graphql and its TypeScript type for the REST routes' typed documents
// are printed from the code, never edited by hand.
writeFileSync(new URL('../../schema.graphql', import.meta.url), printSchema(schema) + '\n');
writeFileSync(SCHEMA_INTROSPECTION_FILE, schemaIntrospectionSource(schema));
console.log('schema.graphql and src/rest/schema-introspection.d.ts written');
