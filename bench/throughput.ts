// `npm run bench:throughput`: requests/s of the gateway as a real process on loopback, beside the
// ceiling (bare node:http returning the same bytes from memory) and the framework (a plain
// graphql-yoga server answering { me { role } } from memory), with autocannon. A floor row (the
// ceiling plus the key digest, request id, headers and log line any gateway answer costs) shows
// how much of the ceiling any gateway could reach here. Every case runs for BENCH_SECONDS
// (default 3), BENCH_ROUNDS times (default 3), interleaved round by round, so a slow moment of
// the shared machine hurts every case alike; the table shows medians over the rounds, each ratio
// taken within its round, so one disturbed round moves no figure. Rate limits are on (scaled up)
// and request logs on (to BENCH_LOG, default /dev/null), as in production.
//
//   BENCH_SECONDS=3 BENCH_ROUNDS=3 BENCH_CONNECTIONS=16 npm run bench:throughput
//   BENCH_WARM_UP_SECONDS=1   # an uncounted run before each measured one (0: none)
//   DATABASE_URL=postgres://… npm run bench:throughput        # adds the gateway on that server
//   BENCH_GATEWAY_DIR=/path/to/other/checkout npm run bench:throughput   # the gateway of another checkout
//   BENCH_COMPARE_DIR=/path/to/main/checkout npm run bench:throughput    # both, in one run
//   BENCH_LIMITS_OFF=1 npm run bench:throughput   # adds an embedded gateway with OPERATION_LIMITS=off
//                                                 # (operation limits and storable-input checks off)
//   BENCH_TWIN_LIMITS=on   # with BENCH_LIMITS_OFF: the twin keeps its limits (an A/A run: the pair's own bias)
//   BENCH_ONLY='settings|me \\}'   # only the gateway cases whose names match (more rounds, less time)
//   BENCH_MIXED_RATE=1000   # the fixed overall rate of the mixed-reads latency table at the end
//
// That table (the target: p99 under 10 ms at 1,000 requests/s of mixed reads) sends the cached
// read kinds in turn, evenly paced and open loop (paced-load.ts: request i due at start + i/rate,
// latency from its due time, so a stall is counted), for max(BENCH_SECONDS, 5) s after a 3 s
// drain and a 2 s warm-up; it uses all the read kinds even under BENCH_ONLY. Its first row is the
// same paced load on the ceiling: the generator's own lag and the machine's noise. One autocannon
// overallRate row per store stays beside it for comparison: autocannon sends each second's quota
// in a burst and records with a 1 ms expected interval (synthetic samples), which inflates its p99.
//
// Figures go in issue notes, not in tests (they depend on the machine).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { type PacedLoadResult, pacedLoad } from './paced-load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Before each measured run of a case, one not counted (0: none). */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const LOG = process.env.BENCH_LOG ?? '/dev/null';
const GATEWAY_DIR = resolve(process.env.BENCH_GATEWAY_DIR ?? '.');
const PLATFORM_KEY = `bench-platform-${randomBytes(12).toString('hex')}`;
const TENANTS = 200;

interface Server {
  name: string;
  port: number;
  child: ChildProcess;
}

/** CPU time (user + system) a process has used, in µs (Linux; clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** RSS of a process in MB (Linux). */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return line ? Math.round(Number(line[1]) / 1024) : NaN;
}

let nextPort = 20_000 + Math.floor(Math.random() * 20_000);

async function waitFor(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}: not ready after ${timeoutMs} ms`);
}

/** A node child running `code` (ESM) with PORT set; ready once `readyPath` answers. */
async function startScript(name: string, code: string, readyPath: string): Promise<Server> {
  const port = nextPort++;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`http://127.0.0.1:${port}${readyPath}`, child);
  return { name, port, child };
}

async function startGateway(name: string, env: Record<string, string>, dir = GATEWAY_DIR): Promise<Server> {
  const port = nextPort++;
  const out = openSync(LOG, 'a');
  const child = spawn(process.execPath, [join(dir, 'scripts/start.mjs')], {
    cwd: dir,
    env: {
      ...process.env,
      PORT: String(port),
      PLATFORM_ADMIN_KEY: PLATFORM_KEY,
      RATE_LIMIT_SCALE: '1000000',
      RETENTION_SWEEP_INTERVAL_MS: '0',
      LOG_LEVEL: 'info',
      // A server store needs one (the embedded store keeps its own beside its data).
      SECRETS_KEY: process.env.SECRETS_KEY ?? '5e'.repeat(32),
      ...env,
    },
    stdio: ['ignore', out, out],
  });
  await waitFor(`http://127.0.0.1:${port}/ready`, child, 600_000);
  return { name, port, child };
}

async function gql(server: Server, query: string, variables: Record<string, unknown> = {}, key = PLATFORM_KEY) {
  const res = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`${server.name}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** One tenant with keys to read with, and TENANTS − 1 more for the platform admin's list. */
async function seed(server: Server) {
  const create = 'mutation($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } } }';
  const keyOf = async (tenantId: string, role: string) =>
    (
      await gql(server, 'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { key } }', {
        input: { tenantId, role },
      })
    ).createApiKey.key as string;
  let existing = 0;
  for (let after: string | null = null, more = true; more && existing < TENANTS; ) {
    const page: any = (
      await gql(
        server,
        'query($after: String) { tenants(first: 100, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } }',
        { after },
      )
    ).tenants;
    existing += page.nodes.length;
    after = page.pageInfo.endCursor;
    more = page.pageInfo.hasNextPage;
  }
  const main = (
    await gql(server, create, { input: { name: `bench ${randomBytes(4).toString('hex')}`, tier: 'ENTERPRISE' } })
  ).createTenant.tenant.id as string;
  for (let i = existing + 1; i < TENANTS; i++)
    await gql(server, create, { input: { name: `bench tenant ${i}`, tier: 'PRO' } });
  const viewer = await keyOf(main, 'VIEWER');
  const operator = await keyOf(main, 'OPERATOR');
  const cursor = (await gql(server, '{ tenants(first: 100) { pageInfo { endCursor } } }')).tenants.pageInfo
    .endCursor as string;
  return { tenantId: main, viewer, operator, cursor };
}

interface Case {
  name: string;
  server: Server;
  request: { method: string; path: string; headers?: Record<string, string>; body?: string };
}

const TENANT_LIST = (cursor: string) => {
  const fields = 'nodes { id name featureFlags { key enabled } config { version document } }';
  return `{ a: tenants(first: 100) { ${fields} } b: tenants(first: 100, after: ${JSON.stringify(cursor)}) { ${fields} } }`;
};

async function gatewayCases(server: Server, label: string): Promise<Case[]> {
  const { tenantId, viewer, operator, cursor } = await seed(server);
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const post = (query: string, key: string) => ({
    method: 'POST',
    path: '/graphql',
    headers: { ...auth(key), 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  // OFREP evaluations as an OpenFeature SDK sends them; one call first warms the read cache.
  const ofrep = (path: string) => ({
    method: 'POST',
    path,
    headers: { ...auth(viewer), 'content-type': 'application/json' },
    body: JSON.stringify({ context: { targetingKey: 'user-1' } }),
  });
  const warm = await fetch(`http://127.0.0.1:${server.port}/ofrep/v1/evaluate/flags`, ofrep(''));
  const ofrepKeys = warm.ok ? ((await warm.json()) as { flags: unknown[] }).flags.length : 0;
  return [
    {
      name: `${label} GET /tenant/settings`,
      server,
      request: { method: 'GET', path: '/tenant/settings', headers: auth(viewer) },
    },
    { name: `${label} GET /tenant/me`, server, request: { method: 'GET', path: '/tenant/me', headers: auth(viewer) } },
    {
      name: `${label} GET /api/v1/tenants/{id}/config`,
      server,
      request: { method: 'GET', path: `/api/v1/tenants/${tenantId}/config`, headers: auth(viewer) },
    },
    {
      name: `${label} GET /api/admin/settings/feature-flags`,
      server,
      request: { method: 'GET', path: '/api/admin/settings/feature-flags', headers: auth(viewer) },
    },
    { name: `${label} GraphQL { me { role } }`, server, request: post('{ me { role } }', viewer) },
    {
      name: `${label} GraphQL settings document`,
      server,
      request: post('{ currentTenant { settings { tenantSettings version } } }', viewer),
    },
    {
      name: `${label} OFREP POST /ofrep/v1/evaluate/flags/{key} (cache warm)`,
      server,
      request: ofrep('/ofrep/v1/evaluate/flags/config.performance.cache_size_mb'),
    },
    {
      name: `${label} OFREP POST /ofrep/v1/evaluate/flags (bulk, ${ofrepKeys} keys, cache warm)`,
      server,
      request: ofrep('/ofrep/v1/evaluate/flags'),
    },
    {
      name: `${label} PUT /tenant/settings (writes)`,
      server,
      request: {
        method: 'PUT',
        path: '/tenant/settings',
        headers: { ...auth(operator), 'content-type': 'application/json' },
        body: JSON.stringify({ certExpiryDays: 30 }),
      },
    },
    {
      name: `${label} GraphQL 200 tenants + flags + config (platform)`,
      server,
      request: post(TENANT_LIST(cursor), PLATFORM_KEY),
    },
  ];
}

interface Sample {
  /** CPU the server used during the case's runs, µs. */
  cpu: number;
  requests: number;
  /** Requests/s of each round. */
  rates: number[];
  p50: number[];
  p99: number[];
  non2xx: number;
  errors: number;
}

async function run(c: Case, duration = SECONDS): Promise<autocannon.Result> {
  return autocannon({
    url: `http://127.0.0.1:${c.server.port}`,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: c.request.method as autocannon.Request['method'],
        path: c.request.path,
        headers: c.request.headers,
        body: c.request.body,
      },
    ],
  });
}

const CEILING_BODY_PLACEHOLDER = '__BODY__';
/** The read cases sent in turn at a fixed overall rate, for the latency table. */
const MIXED_READS = [
  'GET /tenant/settings',
  'GET /tenant/me',
  'GET /api/v1/tenants/{id}/config',
  'GET /api/admin/settings/feature-flags',
  'GraphQL { me { role } }',
  'GraphQL settings document',
  'OFREP POST /ofrep/v1/evaluate/flags/{key}',
];
const MIXED_RATE = Number(process.env.BENCH_MIXED_RATE ?? 1000);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
/** The label of the embedded gateway run with OPERATION_LIMITS=off (BENCH_LIMITS_OFF). */
const LIMITS_OFF_LABEL = 'embedded-limits-off';

async function main() {
  const servers: Server[] = [];
  // BENCH_DATA_DIR: an existing data folder (start-up is then seconds, not a new cluster).
  const ownDataDir = !process.env.BENCH_DATA_DIR;
  const dataDir = process.env.BENCH_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'bench-throughput-'));
  const ownDirs: string[] = [];
  try {
    const embedded = await startGateway('embedded', { DATA_DIR: dataDir });
    servers.push(embedded);
    const cases = await gatewayCases(embedded, 'embedded');
    // BENCH_COMPARE_DIR (+ BENCH_COMPARE_DATA_DIR): the gateway of another checkout (e.g. main
    // before a change) on the embedded store, measured in the same interleaved run.
    if (process.env.BENCH_COMPARE_DIR) {
      const compareData = process.env.BENCH_COMPARE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'bench-compare-'));
      const other = await startGateway('compare', { DATA_DIR: compareData }, resolve(process.env.BENCH_COMPARE_DIR));
      servers.push(other);
      cases.push(...(await gatewayCases(other, 'compare')));
    }
    if (process.env.BENCH_LIMITS_OFF) {
      const offData = mkdtempSync(join(tmpdir(), 'bench-limits-off-'));
      ownDirs.push(offData);
      const off = await startGateway(LIMITS_OFF_LABEL, {
        DATA_DIR: offData,
        OPERATION_LIMITS: process.env.BENCH_TWIN_LIMITS ?? 'off',
      });
      servers.push(off);
      // Each case right after its twin with the limits on: a slow moment hurts both alike.
      const offCases = await gatewayCases(off, LIMITS_OFF_LABEL);
      for (const twin of offCases) {
        const at = cases.findIndex((c) => c.name === twin.name.replace(LIMITS_OFF_LABEL, 'embedded'));
        cases.splice(at + 1, 0, twin);
      }
    }
    if (process.env.DATABASE_URL) {
      const pg = await startGateway('postgres', { DATABASE_URL: process.env.DATABASE_URL });
      servers.push(pg);
      cases.push(...(await gatewayCases(pg, 'postgres')));
    }
    // The ceiling answers with the bytes the gateway sends for GET /tenant/settings.
    const settings = cases[0];
    const bytes = await (
      await fetch(`http://127.0.0.1:${settings.server.port}${settings.request.path}`, {
        headers: settings.request.headers,
      })
    ).text();
    const ceilingCode = `
      import { createServer } from 'node:http';
      const body = Buffer.from(${JSON.stringify(CEILING_BODY_PLACEHOLDER)});
      createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }); res.end(body); }).listen(Number(process.env.PORT), '127.0.0.1');
    `.replace(JSON.stringify(CEILING_BODY_PLACEHOLDER), JSON.stringify(bytes));
    const ceiling = await startScript('ceiling', ceilingCode, '/');
    servers.push(ceiling);
    // The floor: the ceiling plus only what every answer of the gateway must cost whatever its
    // code: the key's SHA-256, a request id, the gateway's headers, one request log line (pino,
    // asynchronous, as src/main.ts). What separates it from the gateway is auth, cache, limits,
    // routing and metrics; what separates it from the ceiling, no gateway can avoid.
    const floorCode = `
      import { createServer } from 'node:http';
      import { hash, randomUUID } from 'node:crypto';
      import pino from 'pino';
      const logger = pino({ base: undefined }, pino.destination({ dest: 1, sync: false }));
      const body = ${JSON.stringify(CEILING_BODY_PLACEHOLDER)};
      createServer((req, res) => {
        const startedAt = process.hrtime.bigint();
        const id = randomUUID();
        const digest = hash('sha256', req.headers.authorization ?? '', 'hex');
        res.writeHead(200, { etag: '"0"', 'content-type': 'application/json; charset=utf-8', 'x-request-id': id,
          'x-content-type-options': 'nosniff', 'content-length': String(Buffer.byteLength(body)) });
        res.end(body);
        logger.info({ requestId: id, method: req.method, path: req.url, operation: 'TenantSettings',
          principal: { tenantId: digest.slice(0, 36), keyId: digest.slice(28, 64), role: 'VIEWER' }, status: 200,
          durationMs: Number((process.hrtime.bigint() - startedAt) / 1000n) / 1000 });
      }).listen(Number(process.env.PORT), '127.0.0.1');
    `.replace(JSON.stringify(CEILING_BODY_PLACEHOLDER), JSON.stringify(bytes));
    const floor = await startScript('floor', floorCode, '/');
    servers.push(floor);
    const frameworkCode = `
      import { createServer } from 'node:http';
      import { createSchema, createYoga } from 'graphql-yoga';
      const yoga = createYoga({ logging: false, schema: createSchema({
        typeDefs: 'type Me { role: String } type Query { me: Me }',
        resolvers: { Query: { me: () => ({ role: 'VIEWER' }) } },
      }) });
      createServer(yoga).listen(Number(process.env.PORT), '127.0.0.1');
    `;
    const framework = await startScript('framework', frameworkCode, '/graphql?query=%7B__typename%7D');
    servers.push(framework);
    const me = JSON.stringify({ query: '{ me { role } }' });
    const ceilingCase: Case = {
      name: 'ceiling: node:http, same bytes',
      server: ceiling,
      request: { method: 'GET', path: '/tenant/settings' },
    };
    const frameworkCase: Case = {
      name: 'framework: graphql-yoga { me { role } }',
      server: framework,
      request: { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json' }, body: me },
    };
    const all: Case[] = [
      ceilingCase,
      {
        name: 'floor: ceiling + key digest, request id, headers, log line',
        server: floor,
        request: { method: 'GET', path: '/tenant/settings', headers: settings.request.headers },
      },
      frameworkCase,
      // BENCH_ONLY: a regular expression; only the gateway cases whose names match (the ceiling, the
      // floor and the framework always run: the ratios need them).
      ...cases.filter((c) => !ONLY || ONLY.test(c.name)),
    ];

    const samples = new Map<Case, Sample>(
      all.map((c) => [c, { cpu: 0, requests: 0, rates: [], p50: [], p99: [], non2xx: 0, errors: 0 }]),
    );
    for (let round = 1; round <= ROUNDS; round++) {
      for (const c of all) {
        // An uncounted second first: what the case before left to do on this server (the
        // 200-tenant list's garbage, collected later) is not charged to this one.
        if (WARM_UP_SECONDS > 0) await run(c, WARM_UP_SECONDS);
        const cpuBefore = cpuMicros(c.server.child.pid!);
        const result = await run(c);
        const s = samples.get(c)!;
        s.cpu += cpuMicros(c.server.child.pid!) - cpuBefore;
        s.requests += result.requests.total;
        s.rates.push(result.requests.total / result.duration);
        s.p50.push(result.latency.p50);
        s.p99.push(result.latency.p99);
        s.non2xx += result.non2xx;
        s.errors += result.errors + result.timeouts;
        process.stderr.write(
          `round ${round}/${ROUNDS} ${c.name}: ${Math.round(result.requests.total / result.duration)}/s\n`,
        );
      }
    }

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    // Medians over the rounds, and each ratio taken within a round (against the reference's run
    // of the same round) before its median: one disturbed round moves neither.
    const rate = (c: Case) => median(samples.get(c)!.rates);
    const ratio = (c: Case, reference: Case) =>
      median(samples.get(c)!.rates.map((r, round) => r / samples.get(reference)!.rates[round]));
    const lines = [
      `autocannon -c ${CONNECTIONS}, ${SECONDS} s × ${ROUNDS} rounds interleaved, each after ${WARM_UP_SECONDS} s not counted; node ${process.version}, ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; gateway from ${GATEWAY_DIR}`,
      '',
      '| case | requests/s | p50 ms | p99 ms | non-2xx | RSS MB | server CPU µs/req | × ceiling | × framework |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...all.map((c) => {
        const s = samples.get(c)!;
        const errors = s.errors ? ` (+${s.errors} errors)` : '';
        return `| ${c.name} | ${Math.round(rate(c))} | ${median(s.p50)} | ${median(s.p99)} | ${s.non2xx}${errors} | ${rssMb(c.server.child.pid!)} | ${Math.round(s.cpu / Math.max(1, s.requests))} | ${ratio(c, ceilingCase).toFixed(3)} | ${ratio(c, frameworkCase).toFixed(2)} |`;
      }),
    ];
    // BENCH_LIMITS_OFF: each embedded case with the limits on, against its twin with them off.
    const twins = all.flatMap((c) => {
      const off = all.find((o) => o.name === c.name.replace(/^embedded /, `${LIMITS_OFF_LABEL} `));
      return c.name.startsWith('embedded ') && off ? [[c, off] as const] : [];
    });
    if (twins.length)
      lines.push(
        '',
        '| case | limits on / off, requests/s | limits on / off, server CPU per request |',
        '|---|---:|---:|',
        ...twins.map(([on, off]) => {
          const cpu = (c: Case) => samples.get(c)!.cpu / Math.max(1, samples.get(c)!.requests);
          return `| ${on.name.replace(/^embedded /, '')} | ${ratio(on, off).toFixed(3)} | ${(cpu(on) / cpu(off)).toFixed(3)} |`;
        }),
      );
    // Latency at a fixed 1,000 requests/s of mixed cached reads (the issue's latency target), per
    // store: evenly paced, open loop (paced-load.ts). One autocannon overallRate run beside it, for
    // comparison with earlier notes: it sends each second's quota in a burst and pads its histogram.
    const readCases = (server: Server) =>
      cases.filter((c) => c.server === server && MIXED_READS.some((r) => c.name.includes(r)));
    const fixed = servers.filter((s) => readCases(s).length);
    if (fixed.length) {
      const measured = Math.max(SECONDS, 5);
      const ms = (x: number) => x.toFixed(2);
      lines.push(
        '',
        `Mixed reads (${MIXED_READS.length} kinds in turn) at ${MIXED_RATE}/s for ${measured} s, evenly paced: open loop, request i due at start + i/rate, latency from its due time (up to ${CONNECTIONS} keep-alive connections; a 2 s paced warm-up before). Generator lag: how late requests went out after their due times (counted in their latency).`,
        '',
        '| store, load | requests/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | generator lag p99 / max ms |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
      );
      const row = (label: string, p: PacedLoadResult) =>
        `| ${label}, paced | ${Math.round(p.completed / p.elapsedSeconds)} | ${ms(p.p50)} | ${ms(p.p90)} | ${ms(p.p99)} | ${ms(p.max)} | ${p.non2xx}${p.errors ? ` (+${p.errors} errors)` : ''} | ${ms(p.lagP99)} / ${ms(p.maxLag)} |`;
      // The same paced load on the ceiling first: what the generator and the machine add on their own.
      const pacedCeiling = (seconds: number) =>
        pacedLoad({
          port: ceiling.port,
          rate: MIXED_RATE,
          seconds,
          connections: CONNECTIONS,
          requests: [{ method: 'GET', path: '/tenant/settings' }],
        });
      await new Promise((r) => setTimeout(r, 3000));
      await pacedCeiling(2);
      lines.push(row(ceilingCase.name, await pacedCeiling(measured)));
      for (const server of fixed) {
        const requests = readCases(server).map((c) => c.request);
        const paced = (seconds: number) =>
          pacedLoad({ port: server.port, rate: MIXED_RATE, seconds, connections: CONNECTIONS, requests });
        // The cases before (the 200-tenant list: requests of a second and more) leave work in
        // flight when their run stops: let it drain, then a short run at the rate, not counted.
        await new Promise((r) => setTimeout(r, 3000));
        await paced(2);
        lines.push(row(server.name, await paced(measured)));
        const a = await autocannon({
          url: `http://127.0.0.1:${server.port}`,
          connections: CONNECTIONS,
          overallRate: MIXED_RATE,
          duration: measured,
          requests: requests.map((r) => ({ ...r, method: r.method as autocannon.Request['method'] })),
        });
        lines.push(
          `| ${server.name}, autocannon overallRate (bursts of each second's quota; 1 ms expected interval) | ${Math.round(a.requests.total / a.duration)} | ${a.latency.p50} | ${a.latency.p90} | ${a.latency.p99} | ${a.latency.max} | ${a.non2xx} | — |`,
        );
      }
    }
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const s of servers) s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    for (const dir of ownDirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
