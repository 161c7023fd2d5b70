/**
 * CPU spent refusing a fragment bomb (`fragment F<n> on Query { ...F<n-1> ...F<n-1> }`) through
 * the whole app, anonymous: parse, the memoised shape walk, the refusal. Run: npx tsx bench/operation-limits.ts
 */

import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createApp } from '../src/yoga.js';

const store = await openStore({ dataDir: 'memory://' });
await migrateToLatest(store.db);
const config = {
  ...loadConfig({ SECRETS_KEY: randomBytes(32).toString('hex'), DATA_DIR: '/tmp' }),
  rateLimits: { enabled: false },
};
const app = createApp({ db: store.db, config, logger: pino({ level: 'silent' }) });

function bomb(levels: number, salt: number): string {
  const parts = [`query Bomb${salt} { ...F${levels} }`, 'fragment F0 on Query { me { role } }'];
  for (let i = 1; i <= levels; i++) parts.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return parts.join('\n');
}

for (const levels of [27, 40, 60]) {
  const runs = 20;
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    // New text each time: no parse cache hit.
    const body = JSON.stringify({ query: bomb(levels, i) });
    const before = process.cpuUsage();
    const res = await app.fetch(
      new Request('http://bench/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    );
    const text = await res.text();
    const used = process.cpuUsage(before);
    if (res.status !== 400 || !text.includes('maxCost')) throw new Error(`not refused: ${res.status} ${text}`);
    cpus.push((used.user + used.system) / 1000);
  }
  cpus.sort((a, b) => a - b);
  console.log(
    `fragment bomb, ${levels} levels (${bomb(levels, 0).length} bytes): refused 400 maxCost; CPU per request median ${cpus[runs >> 1].toFixed(2)} ms, max ${cpus[runs - 1].toFixed(2)} ms`,
  );
}
await store.close();
