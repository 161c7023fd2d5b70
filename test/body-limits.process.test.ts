import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPERATION_LIMITS } from '../src/limits/operation-limits.js';
import { MAX_BODY_BYTES } from '../src/rest/http-input.js';
import { curlHealth, whileHealthy } from './helpers/attack.js';
import { type GatewayProcess, startGateway } from './helpers/gateway-process.js';

// A real process: bodies arrive over a socket, chunked, at the speed the server reads them.
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-bodies-'));
let gateway: GatewayProcess;

beforeAll(async () => {
  gateway = await startGateway({
    DATA_DIR: dataDir,
    HTTP_HEADERS_TIMEOUT_MS: '1000',
    HTTP_KEEP_ALIVE_TIMEOUT_MS: '500',
    HTTP_REQUEST_TIMEOUT_MS: '20000',
  });
  await gateway.waitUntilReady(280_000);
}, 300_000);

afterAll(async () => {
  await gateway?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.child.pid}/status`, 'utf8'))![1]) / 1024;
const health = () => curlHealth(gateway.origin)();

/**
 * Streams up to `totalBytes` of `chunk` (chunked transfer encoding, no Content-Length) and stops
 * as soon as the server answers. Resolves with the status and how many bytes went out.
 */
function streamBody(
  method: string,
  path: string,
  totalBytes: number,
  headers: Record<string, string>,
  chunk = Buffer.alloc(64 * 1024, 'a'),
) {
  return new Promise<{ status: number; body: string; sentBytes: number }>((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(`${gateway.origin}${path}`, { method, headers });
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, body, sentBytes: sent });
      });
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** One request with a Content-Length, written in one go (node:http: no fetch machinery in the way). */
function sendWhole(method: string, path: string, body: Buffer) {
  return new Promise<{ status: number }>((resolve, reject) => {
    const req = httpRequest(`${gateway.origin}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    });
    req.on('response', (res) => {
      res.resume();
      req.destroy();
      resolve({ status: res.statusCode! });
    });
    req.on('error', () => {});
    req.end(body);
    req.on('close', () => reject(new Error('closed without an answer')));
  });
}

describe('bodies are read with a cap (real process)', () => {
  it('answers a 300 MB chunked REST body without a key with 413, reading only past the cap', async () => {
    const before = rssMb();
    const res = await whileHealthy(health, () =>
      streamBody('PUT', '/api/v1/tenants/00000000-0000-4000-8000-000000000000/config', 300 * 1024 * 1024, {
        'content-type': 'application/json',
      }),
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'Payload Too Large', code: 413 });
    expect(res.sentBytes).toBeLessThan(100 * 1024 * 1024);
    expect(rssMb() - before).toBeLessThan(20);
    // Still serving.
    expect((await fetch(`${gateway.origin}/health`)).status).toBe(200);
  }, 60_000);

  it('answers a 300 MB chunked GraphQL body with 413', async () => {
    const chunk = Buffer.from('{"query":"{ me { role } }", "x":"' + 'a'.repeat(64 * 1024));
    const send = (bytes: number) =>
      streamBody('POST', '/graphql', bytes, { 'content-type': 'application/json' }, chunk);
    // The first chunked GraphQL body of a process grows RSS by ~25 MB once (yoga's stream code and
    // heap growth; measured: the next ones add ~0.1 MB each). A 4 MB body pays that first, so the
    // bound below is about what the 300 MB body itself costs: a buffered body would be ~300 MB.
    expect((await send(4 * 1024 * 1024)).status).toBe(413);
    const before = rssMb();
    const res = await whileHealthy(health, () => send(300 * 1024 * 1024));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).errors[0].extensions).toMatchObject({ code: 'REQUEST_ENTITY_TOO_LARGE' });
    expect(res.sentBytes).toBeLessThan(100 * 1024 * 1024);
    expect(rssMb() - before).toBeLessThan(20);
  }, 60_000);

  it('refuses 10 MB of aliases (and of directives) by size, without parsing them', async () => {
    const aliases = '{ ' + 'a: me { role } '.repeat(700_000) + '}';
    const directives = '{ me { role ' + '@include(if: true) '.repeat(550_000) + '} }';
    for (const query of [aliases, directives]) {
      expect(query.length).toBeGreaterThan(10_000_000);
      const body = Buffer.from(JSON.stringify({ query }));
      const res = await whileHealthy(health, () => sendWhole('POST', '/graphql', body));
      expect(res.status).toBe(413);
    }
    // Under the body cap, the query text cap still refuses it before parsing.
    const smaller = '{ ' + 'a: me { role } '.repeat(Math.floor(DEFAULT_OPERATION_LIMITS.maxBodyBytes / 20)) + '}';
    const res = await fetch(`${gateway.origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: smaller }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].extensions).toMatchObject({
      code: 'OPERATION_LIMIT_EXCEEDED',
      limit: 'maxQueryBytes',
    });
  }, 60_000);

  it('counts the decoded bytes of a gzip body: a small bomb is 413, an unknown coding 415', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, ' '));
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
    const path = '/api/v1/tenants/00000000-0000-4000-8000-000000000000/config';
    const before = rssMb();
    const res = await whileHealthy(health, () =>
      fetch(`${gateway.origin}${path}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: bomb,
      }),
    );
    expect(res.status).toBe(413);
    expect(rssMb() - before).toBeLessThan(20);
    const small = await fetch(`${gateway.origin}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync('{"performance":{"cache_size_mb":2048}}'),
    });
    expect(small.status).toBe(401); // decoded and read; then no key
    const br = await fetch(`${gateway.origin}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
      body: 'x',
    });
    expect(br.status).toBe(415);
  }, 60_000);

  it('logs a REST client that goes away mid-body as `client closed` (info), not as a 500', async () => {
    const req = httpRequest(`${gateway.origin}/api/v1/tenants/00000000-0000-4000-8000-000000000000/config`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
    });
    req.on('error', () => {});
    req.write('{"performance":');
    await new Promise((r) => setTimeout(r, 200));
    req.destroy();
    await gateway.waitForOutput(/"msg":"client closed"/, 10_000);
    const lines = gateway.logLines();
    expect(lines.find((l) => l.msg === 'client closed')!.level).toBe(30);
    expect(lines.some((l) => l.msg === 'unexpected REST error')).toBe(false);
    expect(lines.some((l) => l.status === 500)).toBe(false);
  }, 30_000);
});

/** Opens a raw connection, writes `text`, and resolves with what came back and when the server closed it. */
function rawConnection(port: number, text: string) {
  return new Promise<{ answer: string; closedAfterMs: number }>((resolve) => {
    const started = performance.now();
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ answer, closedAfterMs: performance.now() - started }));
  });
}

describe('server timeouts (HTTP_HEADERS_TIMEOUT_MS=1000, HTTP_KEEP_ALIVE_TIMEOUT_MS=500)', () => {
  it('closes a connection whose headers never end with 408, and /health answers meanwhile', async () => {
    const slow = rawConnection(gateway.port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    await whileHealthy(health, () => slow);
    const { answer, closedAfterMs } = await slow;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThan(900);
    expect(closedAfterMs).toBeLessThan(5_000);
  }, 20_000);

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { answer, closedAfterMs } = await rawConnection(gateway.port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(closedAfterMs).toBeLessThan(4_000);
  }, 20_000);
});
