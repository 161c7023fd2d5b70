// `npm run bench`: start-to-ready time of the real process on a new and on an existing data
// folder, RSS at ready, and in-process latency of `{ me { role } }` through yoga.fetch.
// Figures go in issue notes, not in tests (they depend on the machine).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { seedDemoTenantIfEmpty } from '../src/services/demo-tenant.js';
import { createApp } from '../src/yoga.js';
import { startGateway } from '../test/helpers/gateway-process.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Resident set size of a process, in MB (Linux). */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB$/m);
  return line ? Number(line[1]) / 1024 : NaN;
}

interface Start {
  /** Spawn to /ready answering 200, as a client sees it (includes Node start-up and the bundle check). */
  ms: number;
  /**
   * What the process logs: from the first line of src/main.ts to listening (the store opened and
   * migrated, and the app's modules evaluated meanwhile: main.ts loads them while the store opens).
   */
  inside: number;
  rss: number;
}

/** One start of the real server on `dataDir`. */
async function startOnce(dataDir: string): Promise<Start> {
  const gateway = await startGateway({ DATA_DIR: dataDir });
  try {
    const ms = await gateway.waitUntilReady();
    const rss = rssMb(gateway.child.pid!);
    const inside = gateway.logLines().find((l) => l.msg === 'gateway ready')?.startToReadyMs ?? NaN;
    return { ms, inside, rss };
  } finally {
    const code = await gateway.stop();
    if (code !== 0) throw new Error(`gateway exited ${code}:\n${gateway.output()}`);
  }
}

async function startUp() {
  const fresh: Start[] = [];
  const existing: Start[] = [];
  const kept = mkdtempSync(join(tmpdir(), 'bench-existing-'));
  try {
    await startOnce(kept); // makes the existing folder (cluster, migrations, demo tenant)
    for (let i = 0; i < RUNS; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'bench-new-'));
      try {
        fresh.push(await startOnce(dir));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      existing.push(await startOnce(kept));
    }
  } finally {
    rmSync(kept, { recursive: true, force: true });
  }
  return { fresh, existing };
}

async function latency(rateLimits: boolean) {
  const store = await openStore({ dataDir: 'memory://' });
  try {
    await migrateToLatest(store.db);
    const demo = (await seedDemoTenantIfEmpty(store.db))!;
    const config = {
      ...loadConfig({ SECRETS_KEY: randomBytes(32).toString('hex') }),
      dataDir: 'memory://',
      // Limits on but out of reach, to weigh the limiter itself.
      rateLimits: { enabled: rateLimits, scale: 1_000 },
    };
    const app = createApp({ db: store.db, config, logger: pino({ level: 'silent' }) });
    const body = JSON.stringify({ query: '{ me { role } }' });
    const once = async () => {
      const res = await app.fetch('http://bench.local/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${demo.keys.VIEWER}` },
        body,
      });
      if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
      await res.text();
    };
    for (let i = 0; i < 200; i++) await once(); // warm-up: JIT, parse/validate cache
    const times: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      await once();
      times.push(performance.now() - t);
    }
    return { p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
  } finally {
    await store.close();
  }
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const { fresh, existing } = await startUp();
const plain = await latency(false);
const limited = await latency(true);

const rows = [
  [
    'start to /ready, new data folder',
    `${fmt(median(fresh.map((r) => r.ms)))} ms`,
    `min ${fmt(Math.min(...fresh.map((r) => r.ms)))}, max ${fmt(Math.max(...fresh.map((r) => r.ms)))}; ${RUNS} runs`,
  ],
  [
    'start to /ready, existing data folder',
    `${fmt(median(existing.map((r) => r.ms)))} ms`,
    `min ${fmt(Math.min(...existing.map((r) => r.ms)))}, max ${fmt(Math.max(...existing.map((r) => r.ms)))}; ${RUNS} runs`,
  ],
  [
    '  of which inside the process, new',
    `${fmt(median(fresh.map((r) => r.inside)))} ms`,
    'median of the logged startToReadyMs',
  ],
  ['  of which inside the process, existing', `${fmt(median(existing.map((r) => r.inside)))} ms`, 'median'],
  ['RSS at ready, new data folder', `${fmt(median(fresh.map((r) => r.rss)))} MB`, 'median'],
  ['RSS at ready, existing data folder', `${fmt(median(existing.map((r) => r.rss)))} MB`, 'median'],
  [
    'yoga.fetch { me { role } }, p50',
    `${fmt(plain.p50 * 1000)} µs`,
    `p95 ${fmt(plain.p95 * 1000)} µs, p99 ${fmt(plain.p99 * 1000)} µs; ${REQUESTS} requests, embedded store`,
  ],
  [
    '  same, rate limits on',
    `${fmt(limited.p50 * 1000)} µs`,
    `p95 ${fmt(limited.p95 * 1000)} µs, p99 ${fmt(limited.p99 * 1000)} µs`,
  ],
];
const width = (i: number) => Math.max(...rows.map((r) => r[i].length));
console.log(
  `\nNode ${process.version}, ${cpus().length} CPUs, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; server started as \`node scripts/start.mjs\` (npm start)\n`,
);
for (const r of rows) console.log(`${r[0].padEnd(width(0))}  ${r[1].padStart(width(1))}  ${r[2]}`);
