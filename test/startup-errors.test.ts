import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startGateway } from './helpers/gateway-process.js';

// Every bad or missing setting, on the real process (`npm start`): exit 1 and exactly one line,
// naming the variable and what to do, with no stack trace.
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-startup-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const secretsKey = randomBytes(32).toString('hex');

async function failedStart(env: Record<string, string>) {
  const gateway = await startGateway({ DATA_DIR: join(dataDir, 'default'), ...env });
  const code = await gateway.exited;
  const lines = gateway
    .output()
    .split('\n')
    .filter((l) => l.trim() !== '');
  return { code, lines, output: gateway.output() };
}

function expectOneLine(
  result: { code: number | null; lines: string[]; output: string },
  variable: string,
  says: RegExp,
) {
  expect(result.output).not.toMatch(/^\s+at /m); // no stack frame
  expect(result.lines).toHaveLength(1);
  expect(result.lines[0]).toMatch(new RegExp(`^cannot start: ${variable}: `));
  expect(result.lines[0]).toMatch(says);
  expect(result.code).toBe(1);
}

describe('start-up errors', () => {
  it('DATABASE_URL without SECRETS_KEY', async () => {
    const result = await failedStart({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres' });
    expectOneLine(result, 'SECRETS_KEY', /required when DATABASE_URL is set.*openssl rand -hex 32/);
  });

  it('a SECRETS_KEY of the wrong length', async () => {
    const result = await failedStart({ SECRETS_KEY: 'abc123' });
    expectOneLine(result, 'SECRETS_KEY', /must be 32 bytes/);
  });

  it.each(['abc', '-1', '70000', '4000x'])('PORT=%s', async (port) => {
    const result = await failedStart({ PORT: port });
    expectOneLine(result, 'PORT', /is not a TCP port: set PORT to a whole number from 0 to 65535/);
  });

  it('a PORT already in use', async () => {
    const port = await freePort();
    const holder: Server = await new Promise((resolve) => {
      const s = createServer().listen(port, () => resolve(s));
    });
    try {
      const result = await failedStart({ PORT: String(port) });
      expectOneLine(result, 'PORT', new RegExp(`port ${port} is already in use`));
    } finally {
      holder.close();
    }
  }, 60_000);

  it.each([
    ['not a url', /is not a URL: set it like postgres:\/\//],
    ['mysql://db.example/app', /must be a postgres: or postgresql:\/\/ URL/],
  ])('DATABASE_URL=%s', async (value, says) => {
    const result = await failedStart({ DATABASE_URL: value, SECRETS_KEY: secretsKey });
    expectOneLine(result, 'DATABASE_URL', says);
  });

  it.each([
    ['localhost:6379', /must be a redis: or rediss:\/\/ URL/],
    ['redis//127.0.0.1', /is not a URL: set it like redis:\/\//],
  ])('REDIS_URL=%s', async (value, says) => {
    const result = await failedStart({ REDIS_URL: value });
    expectOneLine(result, 'REDIS_URL', says);
  });

  it('an unreachable database at start, without echoing the password', async () => {
    const port = await freePort(); // nothing listens there
    const result = await failedStart({
      DATABASE_URL: `postgres://app:s3cret-pw@127.0.0.1:${port}/app`,
      SECRETS_KEY: secretsKey,
    });
    expectOneLine(
      result,
      'DATABASE_URL',
      new RegExp(`cannot reach the database server at 127\\.0\\.0\\.1:${port}/app \\(ECONNREFUSED\\): start Postgres`),
    );
    expect(result.output).not.toContain('s3cret-pw');
  });

  it('a data folder made by another PGlite version (another PostgreSQL major)', async () => {
    const folder = join(dataDir, 'pg18');
    mkdirSync(folder, { recursive: true });
    // What PGlite 0.5 leaves in a folder: it embeds PostgreSQL 18; ours embeds 17.
    writeFileSync(join(folder, 'PG_VERSION'), '18\n');
    const result = await failedStart({ DATA_DIR: folder });
    expectOneLine(
      result,
      'DATA_DIR',
      /was made by PostgreSQL 18 \(another PGlite version\); this gateway's PGlite runs PostgreSQL 17 and cannot open it/,
    );
  }, 60_000);

  it('bad values of the other settings', async () => {
    expectOneLine(await failedStart({ RATE_LIMIT_SCALE: 'lots' }), 'RATE_LIMIT_SCALE', /not a positive number/);
    expectOneLine(
      await failedStart({ RETENTION_SWEEP_INTERVAL_MS: '1h' }),
      'RETENTION_SWEEP_INTERVAL_MS',
      /whole number of milliseconds/,
    );
    expectOneLine(await failedStart({ LOG_LEVEL: 'loud' }), 'LOG_LEVEL', /is not a level/);
  }, 60_000);
});
