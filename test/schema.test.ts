import { readFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';

describe('schema.graphql', () => {
  it('is what the code prints (run `npm run schema` after a schema change)', () => {
    const committed = readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8');
    const printed = printSchema(schema) + '\n';
    // A plain equality, so a stale file fails with a readable diff.
    expect(committed).toBe(printed);
  });
});
