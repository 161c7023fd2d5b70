import type { Plugin } from 'graphql-yoga';
import { sql } from 'kysely';
import type { Db } from '../db/connect.js';
import { isMigrated } from '../db/migrate.js';

const READY_TIMEOUT_MS = 2_000;

/** `/health`: the process answers (no database). `/ready`: the database answers and is migrated. */
export function useHealth(db: Db): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname === '/health') {
        endResponse(fetchAPI.Response.json({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } }));
        return;
      }
      if (url.pathname !== '/ready') return;
      let ready = false;
      let reason = 'database unreachable';
      try {
        await withTimeout(sql`select 1`.execute(db), READY_TIMEOUT_MS);
        ready = await withTimeout(isMigrated(db), READY_TIMEOUT_MS);
        if (!ready) reason = 'migrations pending';
      } catch {
        ready = false;
      }
      endResponse(
        fetchAPI.Response.json(ready ? { status: 'ready' } : { status: 'unavailable', reason }, {
          status: ready ? 200 : 503,
          headers: { 'cache-control': 'no-store' },
        }),
      );
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
