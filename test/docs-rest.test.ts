import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { restDocsMarkdown, routeRole } from '../src/rest/rest-docs.js';
import { routes } from '../src/rest/routes/index.js';
import { schema } from '../src/schema/index.js';

describe('docs/rest.md', () => {
  it('is current with the route table (run `npm run docs` when this fails)', () => {
    const committed = readFileSync(new URL('../docs/rest.md', import.meta.url), 'utf8');
    expect(committed === restDocsMarkdown(routes, schema), 'docs/rest.md is stale: run `npm run docs`').toBe(true);
  });

  it("lists every route with its role from the schema's scopes", () => {
    const doc = restDocsMarkdown(routes, schema);
    for (const route of routes) expect(doc).toContain(`### ${route.method} \`${route.path}\``);
    const role = (method: string, path: string) =>
      routeRole(routes.find((r) => r.method === method && r.path === path)!, schema);
    expect(role('GET', '/api/v1/tenants/:id/config')).toMatch(/^viewer or above/);
    expect(role('PUT', '/api/v1/tenants/:id/config')).toMatch(/^operator or above/);
    expect(role('POST', '/api/admin/settings/reset/:category')).toMatch(/^admin/);
    expect(role('GET', '/share/:token')).toBe('none (public)');
  });
});
