import { expect } from 'vitest';
import type { World } from './world.js';

/**
 * Runs `attack` and, while it is in flight, asks `/health`: the process must stay responsive.
 * Returns the attack's outcome and how long /health took (asserted under 200 ms).
 */
export async function whileHealthy<T>(health: () => Promise<Response>, attack: () => Promise<T>): Promise<T> {
  // The machine is shared: what /health takes when nothing else of ours runs is added to the bound.
  let started = performance.now();
  await health();
  const idleMs = performance.now() - started;
  const running = attack();
  started = performance.now();
  const res = await health();
  const healthMs = performance.now() - started;
  expect(res.status).toBe(200);
  expect(healthMs).toBeLessThan(200 + idleMs);
  return running;
}

/** `whileHealthy` through the app (no port). */
export const healthOf = (world: World) => () => Promise.resolve(world.request('/health'));

/** `fragment F<n> on Query { ...F<n-1> ...F<n-1> }`: 2^levels visits for a walk without memory. */
export function fragmentBomb(levels: number): string {
  const parts = ['query Bomb { ...F' + levels + ' }', 'fragment F0 on Query { me { role } }'];
  for (let i = 1; i <= levels; i++) parts.push(`fragment F${i} on Query { ...F${i - 1} ...F${i - 1} }`);
  return parts.join('\n');
}
