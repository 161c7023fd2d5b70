import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { Db } from '../db/connect.js';
import { corsHeadersFor } from '../http/ofrep-cors.js';
import { notePrincipal, requestInfo } from '../http/request-info.js';
import { OFREP_EVENTS_PATH } from '../rest/routes/ofrep.js';
import { type ChangeFeed, changesAfter, type TenantChange } from '../services/change-feed.js';
import { allowedOriginsOfTenant, evaluationEtag } from '../services/flag-evaluations.js';
import { maskUnexpected } from './use-error-mapping.js';

export interface UseOfrepEventsOptions {
  db: Db;
  changeFeed: ChangeFeed;
  /** The caller of a request, from the key it presents. */
  principalOf: (request: Request) => Promise<Principal>;
  settingsEnv: SettingsEnv;
  logger: Logger;
  /** A comment line this often keeps proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
}

/** Changes that can change an evaluation (the rest, e.g. a new API key, leave the ETag alone). */
const changesEvaluations = (change: TenantChange) => change.document !== null;

const encoder = new TextEncoder();

/**
 * `GET /ofrep/v1/events`: the SSE stream the bulk answer lists in `eventStreams` (OFREP ADR-0008).
 * After every committed change of the key's tenant that can change an evaluation (settings,
 * config, feature flags), one event `data: {"type":"refetchEvaluation","etag":…}` with the new
 * ETag; its `id` is the change's feed cursor. A client that reconnects with `Last-Event-ID` first
 * gets every such change it missed (from the feed table), each with the current ETag. Comment
 * lines as heartbeats. The key is a viewer's or above; the tenant is the key's; the stream ends
 * when that key is revoked. The request log shows the path only (never the query string, which
 * may carry `api_key`), and nothing here logs the URL.
 */
export function useOfrepEvents({
  db,
  changeFeed,
  principalOf,
  settingsEnv,
  logger,
  heartbeatMs = 15_000,
}: UseOfrepEventsOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== OFREP_EVENTS_PATH) return;
      const headers = new Headers({ 'access-control-expose-headers': 'ETag' });
      if (request.method !== 'GET') {
        headers.set('allow', 'GET');
        headers.set('content-type', 'application/json; charset=utf-8');
        endResponse(
          new Response(
            JSON.stringify({ errorCode: 'GENERAL', errorDetails: `${request.method} is not allowed here` }),
            { status: 405, headers },
          ),
        );
        return;
      }
      let principal: Principal;
      try {
        principal = await principalOf(request);
      } catch (error) {
        const masked = maskUnexpected(error, { requestId: requestInfo(request).id, logger });
        endResponse(
          new Response(null, {
            status: (masked.extensions.http as { status?: number } | undefined)?.status ?? 500,
            headers,
          }),
        );
        return;
      }
      notePrincipal(request, principal);
      // OFREP: 401 and 403 without a body. The platform admin has no tenant of its own.
      if (principal.kind === 'anonymous') return endResponse(new Response(null, { status: 401, headers }));
      if (principal.kind !== 'tenant') return endResponse(new Response(null, { status: 403, headers }));

      const lastEventId = /^\d{1,15}$/.test(request.headers.get('last-event-id') ?? '')
        ? Number(request.headers.get('last-event-id'))
        : null;
      const stream = eventStream({
        db,
        changeFeed,
        logger,
        env: settingsEnv,
        tenantId: principal.tenantId,
        keyId: principal.keyId,
        lastEventId,
        heartbeatMs,
        signal: request.signal,
      });
      // Browsers: the tenant's allowed origins, as on the evaluation paths (src/http/ofrep-cors.ts).
      const origin = request.headers.get('origin');
      if (origin)
        for (const [name, value] of Object.entries(
          corsHeadersFor(origin, await allowedOriginsOfTenant(db, principal.tenantId, settingsEnv)),
        ))
          headers.set(name, value);
      headers.set('content-type', 'text/event-stream; charset=utf-8');
      headers.set('cache-control', 'no-cache, no-transform');
      headers.set('x-accel-buffering', 'no');
      endResponse(new Response(stream, { status: 200, headers }));
    },
  };
}

interface StreamOptions {
  db: Db;
  changeFeed: ChangeFeed;
  logger: Logger;
  env: SettingsEnv;
  tenantId: string;
  keyId: string;
  lastEventId: number | null;
  heartbeatMs: number;
  signal?: AbortSignal;
}

/**
 * The events of one connection. Feed events are handled one at a time, in order, after the
 * start (replay or the tenant's current cursor): a change at or below the last cursor handled is
 * a duplicate and dropped; a jump past the next cursor (a missed notification) or a resync is
 * caught up from the feed table, the truth.
 */
function eventStream({
  db,
  changeFeed,
  logger,
  env,
  tenantId,
  keyId,
  lastEventId,
  heartbeatMs,
  signal,
}: StreamOptions): ReadableStream<Uint8Array> {
  let closed = false;
  let cleanup = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let lastCursor = 0;
      let work: Promise<void> = Promise.resolve();
      const write = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          cleanup();
        }
      };
      const send = async (changes: TenantChange[]) => {
        const relevant = changes.filter(changesEvaluations);
        if (relevant.length === 0) return;
        const etag = await evaluationEtag(db, tenantId, env);
        for (const change of relevant)
          write(`id: ${change.cursor}\ndata: ${JSON.stringify({ type: 'refetchEvaluation', etag })}\n\n`);
      };
      const handle = async (changes: TenantChange[]) => {
        const fresh = changes.filter((c) => c.cursor > lastCursor);
        if (fresh.length === 0) return;
        lastCursor = fresh[fresh.length - 1].cursor;
        await send(fresh);
        if (fresh.some((c) => c.action === 'api_key.revoke' && c.target === keyId)) {
          cleanup();
          controller.close();
        }
      };
      const catchUp = async () => {
        for (;;) {
          const changes = await changesAfter(db, tenantId, lastCursor, 500);
          await handle(changes);
          if (changes.length < 500 || closed) return;
        }
      };
      const enqueue = (step: () => Promise<void>) => {
        work = work
          .then(() => (closed ? undefined : step()))
          .catch((error: Error) => logger.warn({ err: error.message, tenantId }, 'OFREP event stream: a step failed'));
      };

      const unsubscribe = changeFeed.subscribe((event) => {
        if (event.type === 'resync') {
          if (event.live) enqueue(catchUp);
          return;
        }
        const { change } = event;
        if (change.tenantId !== tenantId) return;
        enqueue(() => (change.cursor > lastCursor + 1 ? catchUp() : handle([change])));
      });
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
      heartbeat.unref?.();
      cleanup = () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        unsubscribe();
      };
      signal?.addEventListener('abort', () => cleanup(), { once: true });

      write('retry: 1000\n: connected\n\n');
      enqueue(async () => {
        if (lastEventId !== null) {
          lastCursor = lastEventId;
          await catchUp();
        } else {
          const row = await db
            .selectFrom('tenants')
            .select('change_cursor')
            .where('id', '=', tenantId)
            .executeTakeFirst();
          lastCursor = Math.max(lastCursor, Number(row?.change_cursor ?? 0));
        }
      });
    },
    cancel() {
      cleanup();
    },
  });
}
