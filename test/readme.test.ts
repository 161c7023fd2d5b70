import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeysIn, type GatewayProcess, startGateway } from './helpers/gateway-process.js';
import { createTestDatabase } from './helpers/world.js';

// The README is a newcomer's first contact: its configuration table must list every variable
// src/config.ts reads, and every curl and GraphQL example must work against a real process.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const configSource = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');

/** The fenced code blocks of a language, in order. */
function blocks(lang: string): string[] {
  return [...readme.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]);
}

describe('README: configuration', () => {
  // Derived from the code, so a variable someone adds to src/config.ts without a row fails here.
  const read = [
    ...new Set(
      [
        ...configSource.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\]|, '([A-Z][A-Z0-9_]*)')/g),
      ].map((m) => m[1] ?? m[2] ?? m[3]),
    ),
  ].sort();
  const section = readme.slice(
    readme.indexOf('## Configuration'),
    readme.indexOf('\n## ', readme.indexOf('## Configuration') + 3),
  );
  const rows = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]).sort();

  it('src/config.ts reads the variables this test expects to find (the scan works)', () => {
    expect(read).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'SECRETS_KEY', 'REDIS_URL', 'METRICS_TOKEN']));
  });

  it('has one row for every variable src/config.ts reads, and no row for one it does not', () => {
    expect(rows).toEqual(read);
  });
});

describe('README: every curl and GraphQL example, against the real process', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-readme-'));
  const platformKey = `platform-${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = { DATA_DIR: dataDir, PLATFORM_ADMIN_KEY: platformKey };
  let dropDatabase = async () => {};
  let gateway: GatewayProcess;
  let keys: ReturnType<typeof demoKeysIn>;

  beforeAll(async () => {
    if (process.env.TEST_DATABASE_URL) {
      const db = await createTestDatabase(process.env.TEST_DATABASE_URL);
      Object.assign(env, { DATABASE_URL: db.url, SECRETS_KEY: randomBytes(32).toString('hex') });
      dropDatabase = db.drop;
    }
    gateway = await startGateway(env);
    await gateway.waitForOutput(/GraphiQL: .*\n/, 170_000);
    keys = demoKeysIn(gateway.output());
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    await dropDatabase();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finds the examples', () => {
    expect(blocks('graphql').length).toBeGreaterThanOrEqual(2);
    expect(blocks('sh').filter((b) => /\bcurl\b/.test(b)).length).toBeGreaterThanOrEqual(4);
  });

  it('runs each GraphQL block with the operator key: data, no errors', async () => {
    for (const query of blocks('graphql')) {
      const res = await fetch(`${gateway.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.OPERATOR}` },
        body: JSON.stringify({ query }),
      });
      const body = await res.json();
      expect({ query, status: res.status, errors: body.errors }).toEqual({ query, status: 200, errors: undefined });
      expect(body.data).toBeTruthy();
    }
  });

  it('runs the curl blocks in order in one shell: every request succeeds', async () => {
    const script = blocks('sh')
      .filter((b) => /\bcurl\b/.test(b))
      .join('\n')
      .replaceAll('http://localhost:4000', gateway.origin);
    // Every curl fails the script on an HTTP error; a GraphQL error (HTTP 200) is caught below.
    const prelude = 'set -euo pipefail\ncurl() { command curl --fail-with-body --show-error "$@"; echo; }\n';
    const { stdout } = await promisify(execFile)('bash', ['-c', prelude + script], {
      env: {
        PATH: process.env.PATH ?? '',
        VIEWER_KEY: keys.VIEWER,
        OPERATOR_KEY: keys.OPERATOR,
        ADMIN_KEY: keys.ADMIN,
        PLATFORM_ADMIN_KEY: platformKey,
      },
      timeout: 60_000,
    });
    expect(stdout).not.toContain('"errors"');
    expect(stdout).toContain('"status":"success"'); // /tenant/me
    expect(stdout).toContain('"updated_fields":["performance.cache_size_mb","security.require_mfa"]'); // the PUT
    expect(stdout).toMatch(/"target":"shop\.example\.com"/); // the shared scan, seen without a key
    expect(stdout).toMatch(/^gateway_http_requests_total\{/m); // /metrics
  }, 90_000);
});
