import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { AppConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import type { ChangeFeed } from './change-feed.js';
import type { Loaders } from './loaders.js';

/**
 * What every service function receives: who is calling, for which request, and the
 * per-request loaders. The GraphQL context is exactly this; a fresh one per request.
 */
export interface ServiceContext {
  db: Db;
  principal: Principal;
  requestId: string;
  loaders: Loaders;
  /** Write transactions go through it, so their changes are announced after commit. */
  changeFeed: ChangeFeed;
  config: AppConfig;
  logger: Logger;
  /** The clock; tests move it to expire share links without sleeping. */
  now: () => Date;
  /**
   * The client's network address (the socket's peer), for per-address limits of public
   * operations; 'unknown' when the request did not come through a socket (in-process fetch).
   */
  clientAddress?: string;
  /**
   * The gateway's own origin from its configuration (`http://localhost:PORT`), the default base of
   * share URLs when PUBLIC_BASE_URL is unset; never taken from the request. Absent outside an HTTP request.
   */
  origin?: string;
}
