import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import { NodeRequestHead, type RequestHead } from '../http/request-head.js';

/** What the request log needs to know about a request, filled in as the request goes. */
export interface RequestInfo {
  /** Ours, always: what the response's `x-request-id`, logs and audit entries carry. */
  id: string;
  /** The client's own `x-request-id` (when sane), logged beside ours, never used as ours. */
  clientId?: string;
  startedAt: bigint;
  principal?: Principal;
  operationName?: string;
  /** The path as the request log may show it (credentials in the path redacted); else the URL's path. */
  logPath?: string;
  /** The REST route that matched, as a pattern (`GET /api/v1/tenants/:id/config`): a metrics label. */
  route?: string;
  /** The executed GraphQL operation's type and root fields (`query:me`): a metrics label. */
  operationLabel?: string;
}

/** The info of yoga's own `Request`s; the front's request heads hold theirs (a WeakMap entry costs more, GC included). */
const infos = new WeakMap<RequestHead, RequestInfo>();

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function newInfo(request: RequestHead): RequestInfo {
  const offered = request.headers.get('x-request-id');
  return {
    id: randomUUID(),
    clientId: offered && CLIENT_ID.test(offered) ? offered : undefined,
    startedAt: process.hrtime.bigint(),
  };
}

/** The request's info, created on first sight; a sane client `x-request-id` is kept as `clientId`. */
export function requestInfo(request: RequestHead): RequestInfo {
  if (request instanceof NodeRequestHead) return (request.info ??= newInfo(request));
  let info = infos.get(request);
  if (!info) infos.set(request, (info = newInfo(request)));
  return info;
}

/** Records who the caller is, for the request log. */
export function notePrincipal(request: RequestHead, principal: Principal): void {
  requestInfo(request).principal = principal;
}
