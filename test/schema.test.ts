import { readFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { SCHEMA_INTROSPECTION_FILE, schemaIntrospectionSource } from '../src/scripts/schema-introspection.js';

describe('schema.graphql', () => {
  it('is what the code prints (run `npm run schema` after a schema change)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    const printed = printSchema(schema) + '\n';
    // A plain equality, so a stale file fails with a readable diff.
    expect(committed).toBe(printed);
  });
});

describe('src/rest/schema-introspection.d.ts', () => {
  it('is the schema the code builds, as the type the REST routes are typed from (run `npm run schema`)', () => {
    expect(readFileSync(SCHEMA_INTROSPECTION_FILE, 'utf8')).toBe(schemaIntrospectionSource(schema));
  });
});
