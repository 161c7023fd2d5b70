import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/principal.js';

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
  /** On a request the REST layer makes to /graphql: the outer request, which logs for both. */
  parent?: RequestInfo;
}

const infos = new WeakMap<Request, RequestInfo>();

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The request's info, created on first sight; a sane client `x-request-id` is kept as `clientId`. */
export function requestInfo(request: Request): RequestInfo {
  let info = infos.get(request);
  if (!info) {
    const offered = request.headers.get('x-request-id');
    info = { id: randomUUID(), clientId: offered && CLIENT_ID.test(offered) ? offered : undefined, startedAt: process.hrtime.bigint() };
    infos.set(request, info);
  }
  return info;
}

/** Makes `inner` (a request built by the REST layer) carry `outer`'s id and report to it. */
export function linkInnerRequest(outer: Request, inner: Request): void {
  const parent = requestInfo(outer);
  infos.set(inner, { id: parent.id, startedAt: process.hrtime.bigint(), parent });
}

/** Records who the caller is, on the request and on its outer request if any. */
export function notePrincipal(request: Request, principal: Principal): void {
  const info = requestInfo(request);
  info.principal = principal;
  if (info.parent) info.parent.principal = principal;
}
