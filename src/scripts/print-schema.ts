import { writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { schema } from '../schema/index.js';

// `npm run schema`: schema.graphql is printed from the code, never edited by hand.
writeFileSync(new URL('../../schema.graphql', import.meta.url), printSchema(schema) + '\n');
console.log('schema.graphql written');
