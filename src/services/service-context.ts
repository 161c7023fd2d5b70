import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { SettingsEnv } from '../catalog/environment.js';
import type { Db } from '../db/connect.js';
import type { ChangeFeed } from './change-feed.js';
import type { Loaders } from './loaders.js';

/**
 * What every service function receives: who is calling, for which request, the per-request
 * loaders, and the capabilities services need, never the process's configuration (its secrets
 * key and platform admin key stay in createApp). The GraphQL context is exactly this; a fresh
 * one per request.
 */
export interface ServiceContext {
  db: Db;
  principal: Principal;
  requestId: string;
  loaders: Loaders;
  /** Write transactions go through it, so their changes are announced after commit. */
  changeFeed: ChangeFeed;
  logger: Logger;
  /** The clock; tests move it to expire share links without sleeping. */
  now: () => Date;
  /** Seals and opens stored secrets (the key stays inside). */
  secrets: SecretBox;
  /** The environment layer of setting resolution: the catalog's variables only. */
  settingsEnv: SettingsEnv;
  /** The origin share URLs start with: PUBLIC_BASE_URL, else the gateway's own (never the request's Host). */
  shareBaseUrl: string;
  /** `WEBHOOKS_ALLOW_PRIVATE=1`: webhook endpoints may be private addresses and plain http. */
  webhooksAllowPrivate: boolean;
  /**
   * The client's network address (the socket's peer), for per-address limits of public
   * operations; 'unknown' when the request did not come through a socket (in-process fetch).
   */
  clientAddress?: string;
}
