import { execFile } from 'node:child_process';
import { expect } from 'vitest';
import type { World } from './world.js';

/**
 * Runs `attack` and, while it is in flight, asks `/health`: the process must stay responsive.
 * Returns the attack's outcome and how long /health took (asserted under 200 ms).
 */
export async function whileHealthy<T>(health: () => Promise<Response | Probe>, attack: () => Promise<T>): Promise<T> {
  // The machine is shared: what /health takes when nothing else of ours runs is added to the bound.
  const idle = await timed(health);
  const running = attack();
  // Three probes while it runs, the median judged: one unlucky scheduling slice on a shared
  // machine is not a stall, a stalled process fails all three.
  const probes: Probe[] = [];
  for (let i = 0; i < 3; i++) probes.push(await timed(health));
  for (const probe of probes) expect(probe.status).toBe(200);
  const median = probes.map((p) => p.ms).sort((a, b) => a - b)[1];
  expect(median).toBeLessThan(200 + idle.ms);
  return running;
}

/** A /health answer timed by whoever sent it (e.g. curl's own clock, free of this process's load). */
export interface Probe {
  status: number;
  ms: number;
}

async function timed(health: () => Promise<Response | Probe>): Promise<Probe> {
  const started = performance.now();
  const res = await health();
  // Probes carry their own time; a Response (of whichever fetch implementation) is timed here.
  return 'ms' in res && typeof res.ms === 'number' ? res : { status: res.status, ms: performance.now() - started };
}

/** /health of a real process, asked and timed by curl: the test process's own work does not count. */
export function curlHealth(origin: string): () => Promise<Probe> {
  return () =>
    new Promise((resolve, reject) => {
      execFile(
        'curl',
        ['-s', '-o', '/dev/null', '-w', '%{http_code} %{time_total}', `${origin}/health`],
        (error, stdout) => {
          if (error) return reject(error);
          const [status, seconds] = stdout.trim().split(' ');
          resolve({ status: Number(status), ms: Number(seconds) * 1000 });
        },
      );
    });
}

/** `whileHealthy` through the app (no port). */
export const healthOf = (world: World) => () => Promise.resolve(world.request('/health'));

/** `fragment F<n> on Query { ...F<n-1> ...F<n-1> }`: 2^levels visits for a walk without memory. */
export function fragmentBomb(levels: number): string {
  const parts = ['query Bomb { ...F' + levels + ' }', 'fragment F0 on Query { me { role } }'];
  for (let i = 1; i <= levels; i++) parts.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return parts.join('\n');
}
