import { mkdirSync, writeFileSync } from 'node:fs';
import { restDocsMarkdown } from '../rest/rest-docs.js';
import { routes } from '../rest/routes/index.js';
import { schema } from '../schema/index.js';

// `npm run docs`: docs/rest.md is generated from the route table, never edited by hand.
mkdirSync(new URL('../../docs/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../docs/rest.md', import.meta.url), restDocsMarkdown(routes, schema));
console.log('docs/rest.md written');
