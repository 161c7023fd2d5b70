import type { Store } from '../db/connect.js';
import { gauge } from './registry.js';

/** The store `/metrics` reports on: the process has one (set by main.ts). */
let observed: Pick<Store, 'kind' | 'pool'> | undefined;

gauge({
  name: 'gateway_db_store_info',
  help: 'The store in use: 1 for its kind (postgres = a server through a pg pool; pglite = embedded, one connection in the process)',
  labelNames: ['kind'],
  collect() {
    this.reset();
    if (observed) this.set({ kind: observed.kind }, 1);
  },
});

// On Postgres, from pg's Pool. PGlite has one connection inside the process and its dialect
// queues queries in memory, without a count we can read: these are then not reported at all.
gauge({
  name: 'gateway_db_pool_connections',
  help: 'Connections of the pg pool to the Postgres server, by state (in_use, idle); absent on PGlite',
  labelNames: ['state'],
  collect() {
    this.reset();
    const pool = observed?.pool;
    if (!pool) return;
    this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
    this.set({ state: 'idle' }, pool.idleCount);
  },
});

gauge({
  name: 'gateway_db_pool_waiting',
  help: 'Queries waiting for a connection of the pg pool (all connections in use); absent on PGlite',
  collect() {
    this.reset();
    const pool = observed?.pool;
    if (pool) this.set(pool.waitingCount);
  },
});

gauge({
  name: 'gateway_db_pool_max',
  help: 'Largest number of connections the pg pool opens; absent on PGlite',
  collect() {
    this.reset();
    const pool = observed?.pool;
    if (pool) this.set(pool.options.max);
  },
});

/** Reports `store` under `gateway_db_*` from now on. */
export function observeDatabasePool(store: Pick<Store, 'kind' | 'pool'>): void {
  observed = store;
}
