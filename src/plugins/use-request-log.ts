import type { Plugin } from 'graphql-yoga';
import { type Logger, symbols } from 'pino';
import type { Principal } from '../auth/principal.js';
import { pathOf } from '../http/request-head.js';
import { requestInfo } from '../http/request-info.js';

function principalFields(p: Principal | undefined) {
  if (!p) return { principal: null };
  if (p.kind === 'tenant') return { principal: { tenantId: p.tenantId, keyId: p.keyId, role: p.role } };
  if (p.kind === 'platform') return { principal: { platformAdmin: true } };
  if (p.kind === 'system') return { principal: { system: p.task } };
  return { principal: { anonymous: p.reason } };
}

/** Principals' serialized fields kept at most, one per API key seen. */
const MAX_KEY_PRINCIPALS = 10_000;

/** Text a JSON string holds as it is: printable ASCII but `"` and `\\`. */
const PLAIN_JSON_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A string as JSON; plain text (the usual method, path and operation) without the serializer. */
function jsonString(text: string): string {
  return PLAIN_JSON_TEXT.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** What pino writes of a line at `level` before the fields: its level and time, then the logger's bindings. */
function linePrefix(logger: Logger, level: number): string {
  const internals = logger as unknown as Record<symbol, unknown>;
  const levelJson = (internals[symbols.lsCacheSym] as Record<number, string>)[level];
  const time = (internals[symbols.timeSym] as () => string)();
  return `${levelJson}${time}${internals[symbols.chindingsSym] as string}`;
}

/**
 * One JSON line per request: id, method, path (never the query string, which may carry
 * `api_key`; a share token in the path is redacted by the REST layer, see `logPath`), GraphQL
 * operation, principal (ids and role, never the key), status, duration.
 * Also puts the id on the response as `x-request-id`.
 *
 * The line is made here and written to the logger's destination (see `joinsLines`), as pino would write
 * `logger.info({ principal, requestId, ... })` (its level, time and bindings first): made by
 * pino, it was about a tenth of the CPU of a cached read (its generic serializer walking each
 * field, and joining ~30 pieces), now one template. A destination that needs pino's
 * per-line metadata (pino.multistream) is not supported here; the gateway's is a plain one.
 */
export function useRequestLog(logger: Logger): Plugin {
  const destination = (logger as unknown as Record<symbol, { write(line: string): void }>)[symbols.streamSym];
  const infoLevel = logger.levels.values.info;
  // The principal's fields serialized once per key rather than on every line. A key's tenant
  // and role never change (keys are created and revoked, not edited).
  const tenantPrincipals = new Map<string, string>();
  const principalJson = (principal: Principal | undefined): string => {
    if (principal?.kind !== 'tenant') return JSON.stringify(principalFields(principal).principal);
    let json = tenantPrincipals.get(principal.keyId);
    if (json === undefined) {
      // Bounded: a process seeing more keys than this starts over (serialized again on use).
      if (tenantPrincipals.size >= MAX_KEY_PRINCIPALS) tenantPrincipals.clear();
      tenantPrincipals.set(principal.keyId, (json = JSON.stringify(principalFields(principal).principal)));
    }
    return json;
  };
  // An asynchronous destination (pino.destination with `sync: false`, the gateway's) writes a
  // line later anyway: the lines of one turn of the event loop are handed to it together at the
  // turn's end, one write instead of one per request (+6 % requests/s of a cached read, measured).
  // A synchronous one (a test's sink) gets each line at once.
  const joinsLines = (destination as { sync?: boolean }).sync === false;
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    const lines = pending;
    pending = '';
    destination.write(lines);
  };
  // Lines of the turn in which the process exits (an uncaught error, a direct exit) still go out.
  const flushAtExit = () => {
    try {
      flush();
      (destination as { flushSync?: () => void }).flushSync?.();
    } catch {
      // Exiting: nowhere left to report that the destination could not take them.
    }
  };
  if (joinsLines) process.on('exit', flushAtExit);
  return {
    onRequest({ request }) {
      requestInfo(request);
    },
    onParams({ request, params }) {
      const info = requestInfo(request);
      info.operationName = params.operationName ?? undefined;
    },
    onResponse({ request, response }) {
      const info = requestInfo(request);
      response.headers.set('x-request-id', info.id);
      if (!logger.isLevelEnabled('info')) return;
      const durationMs = Number((process.hrtime.bigint() - info.startedAt) / 1000n) / 1000;
      const clientId = info.clientId === undefined ? '' : `,"clientRequestId":${jsonString(info.clientId)}`;
      const line = `${linePrefix(logger, infoLevel)},"principal":${principalJson(info.principal)},"requestId":"${info.id}"${clientId},"method":${jsonString(request.method)},"path":${jsonString(info.logPath ?? pathOf(request.url))},"operation":${info.operationName === undefined ? 'null' : jsonString(info.operationName)},"status":${response.status},"durationMs":${durationMs}}\n`;
      if (!joinsLines) return void destination.write(line);
      if (pending === '') setImmediate(flush);
      pending += line;
    },
    onDispose() {
      flush();
      if (joinsLines) process.off('exit', flushAtExit);
    },
  };
}
