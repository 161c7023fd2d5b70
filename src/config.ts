import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type SettingsEnv, settingsEnvFrom } from './catalog/environment.js';
import { StartupError } from './errors/startup-error.js';
import type { OperationLimits } from './limits/operation-limits.js';
import { type RateLimitPolicy, withOfrepLimit } from './rate-limit/policies.js';

/** Everything the process reads from its environment, read once at start. */
export interface AppConfig {
  port: number;
  databaseUrl?: string;
  dataDir: string;
  /** The platform admin's key; when unset there is no platform admin. */
  platformAdminKey?: string;
  /** 32-byte key for AES-256-GCM encryption of stored secrets. */
  secretsKey: Buffer;
  /** `PUBLIC_BASE_URL`: the origin put in front of `/share/{token}`, when set. */
  publicBaseUrl?: string;
  /**
   * The gateway's own origin, `http://localhost:PORT`: where share URLs point when
   * PUBLIC_BASE_URL is unset. Never taken from a request (anyone can send a Host header).
   */
  origin: string;
  /** Origins a browser may call from (`CORS_ORIGINS`, comma-separated); empty = no CORS headers at all. */
  corsOrigins: string[];
  /** The environment layer of setting resolution (stored > env > default): the catalog's variables only. */
  settingsEnv: SettingsEnv;
  /** How often the retention sweep runs; 0 disables the timer. */
  retentionSweepIntervalMs: number;
  /** The rate limits of src/rate-limit/policies.ts: on in a real process, off in most tests. */
  rateLimits: RateLimitConfig;
  /** Bound of the in-memory read cache in MiB (`CACHE_MAX_MB`, default 64); 0 turns it off. */
  cacheMaxMb?: number;
  /** How long one SQL statement may run on a Postgres server (`DB_STATEMENT_TIMEOUT_MS`); then 503. */
  dbStatementTimeoutMs: number;
  /** How long a request waits for a pooled connection (`DB_ACQUIRE_TIMEOUT_MS`); then 503. */
  dbAcquireTimeoutMs: number;
  /** node:http server timeouts: whole request, headers, idle keep-alive (`HTTP_*_TIMEOUT_MS`). */
  http: { requestTimeoutMs: number; headersTimeoutMs: number; keepAliveTimeoutMs: number };
  /** Overrides of the operation limits of src/limits/operation-limits.ts (tests); unset = the defaults. */
  operationLimits?: Partial<OperationLimits>;
  /**
   * `OPERATION_LIMITS=off`: no operation limits and no storable-input checks (measurements of
   * what they cost only: bench:throughput runs a gateway so beside the normal one). Body caps stay.
   */
  operationLimitsOff?: boolean;
  /** pino level of the process log (default info). */
  logLevel?: string;
  /** A bearer token that may read `GET /metrics` besides the platform admin key; unset = only that key. */
  metricsToken?: string;
  /** Webhook delivery; absent (tests): private targets refused, no deliverer of the process's own. */
  webhooks?: WebhookConfig;
}

export interface WebhookConfig {
  /** `WEBHOOKS_ALLOW_PRIVATE=1`: endpoints may be private/loopback addresses, and plain http. */
  allowPrivate: boolean;
  /** How often the process's deliverer looks for due deliveries (it also wakes on every change); 0 = no deliverer. */
  deliveryIntervalMs: number;
}

export interface RateLimitConfig {
  enabled: boolean;
  /** Multiplies every policy's maximum (e.g. 2 doubles them); default 1. */
  scale?: number;
  /** Replaces the declared per-field policies (tests); default src/rate-limit/policies.ts. */
  fieldPolicies?: Readonly<Record<string, readonly RateLimitPolicy[]>>;
  /** Counters in this Redis (`REDIS_URL`), shared by every gateway process; unset = in the process. */
  redis?: {
    url: string;
    keyPrefix?: string;
    /** How long a call waits for Redis before it fails open (ms); default 500. */
    commandTimeoutMs?: number;
  };
}

/**
 * Reads and checks the environment. A bad value throws a StartupError naming the variable and
 * what to do (the process prints it as one line and exits 1).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const dataDir = resolve(env.DATA_DIR ?? './.data');
  const port = portFrom(env.PORT);
  return {
    port,
    databaseUrl: urlFrom(
      'DATABASE_URL',
      env.DATABASE_URL,
      ['postgres:', 'postgresql:'],
      'postgres://user:password@host:5432/database',
    ),
    dataDir,
    platformAdminKey: env.PLATFORM_ADMIN_KEY || undefined,
    secretsKey: secretsKeyFrom(env.SECRETS_KEY, env.DATABASE_URL ? undefined : dataDir),
    publicBaseUrl: env.PUBLIC_BASE_URL?.replace(/\/+$/, '') || undefined,
    origin: `http://localhost:${port}`,
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim().replace(/\/+$/, ''))
      .filter(Boolean),
    settingsEnv: settingsEnvFrom(env),
    retentionSweepIntervalMs: sweepIntervalFrom(env.RETENTION_SWEEP_INTERVAL_MS),
    dbStatementTimeoutMs: positiveMs(env, 'DB_STATEMENT_TIMEOUT_MS', 15_000),
    dbAcquireTimeoutMs: positiveMs(env, 'DB_ACQUIRE_TIMEOUT_MS', 5_000),
    http: {
      requestTimeoutMs: positiveMs(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000),
      headersTimeoutMs: positiveMs(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000),
      keepAliveTimeoutMs: positiveMs(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000),
    },
    operationLimitsOff: env.OPERATION_LIMITS === 'off',
    rateLimits: {
      enabled: env.RATE_LIMITS !== 'off',
      scale: rateLimitScale(env.RATE_LIMIT_SCALE),
      fieldPolicies: env.RATE_LIMIT_OFREP_PER_MINUTE
        ? withOfrepLimit(perMinute('RATE_LIMIT_OFREP_PER_MINUTE', env.RATE_LIMIT_OFREP_PER_MINUTE))
        : undefined,
      redis: ((url) => (url ? { url } : undefined))(
        urlFrom('REDIS_URL', env.REDIS_URL, ['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
      ),
    },
    cacheMaxMb: cacheMaxMb(env.CACHE_MAX_MB),
    logLevel: logLevelFrom(env.LOG_LEVEL),
    metricsToken: env.METRICS_TOKEN || undefined,
    webhooks: {
      allowPrivate: env.WEBHOOKS_ALLOW_PRIVATE === '1',
      deliveryIntervalMs: wholeMs(env, 'WEBHOOK_DELIVERY_INTERVAL_MS', 1000),
    },
  };
}

function cacheMaxMb(value: string | undefined): number {
  if (value === undefined || value === '') return 64;
  const mb = Number(value);
  if (!(mb >= 0))
    throw new StartupError(
      'CACHE_MAX_MB',
      `${JSON.stringify(value)} is not a number of MiB: set it like 64, or 0 to turn the read cache off`,
    );
  return mb;
}

function portFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 4000;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65_535) {
    throw new StartupError(
      'PORT',
      `${JSON.stringify(value)} is not a TCP port: set PORT to a whole number from 0 to 65535 (default 4000)`,
    );
  }
  return port;
}

/** A URL of one of `protocols`, or undefined when unset; the message never echoes the value (it may hold a password). */
function urlFrom(
  variable: string,
  value: string | undefined,
  protocols: string[],
  example: string,
): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StartupError(variable, `is not a URL: set it like ${example}`);
  }
  if (!protocols.includes(url.protocol) || !url.hostname) {
    throw new StartupError(variable, `must be a ${protocols.join(' or ')}// URL with a host, like ${example}`);
  }
  return value;
}

/** A whole number of milliseconds, 0 allowed (0 = off). */
function wholeMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value.trim()))
    throw new StartupError(
      name,
      `${JSON.stringify(value)} is not a whole number of milliseconds: set it like ${fallback}, or 0 for off`,
    );
  return Number(value);
}

function positiveMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0)
    throw new StartupError(
      name,
      `${JSON.stringify(value)} is not a positive whole number of milliseconds: set it like ${fallback}, or unset it`,
    );
  return ms;
}

function perMinute(name: string, value: string): number {
  const max = Number(value);
  if (!Number.isInteger(max) || max < 1)
    throw new StartupError(
      name,
      `${JSON.stringify(value)} is not a positive whole number: set it like 6000, or unset it`,
    );
  return max;
}

function rateLimitScale(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const scale = Number(value);
  if (!(scale > 0))
    throw new StartupError(
      'RATE_LIMIT_SCALE',
      `${JSON.stringify(value)} is not a positive number: set it like 10, or unset it for 1`,
    );
  return scale;
}

function sweepIntervalFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 3_600_000;
  const ms = Number(value);
  if (!/^\d+$/.test(value.trim())) {
    throw new StartupError(
      'RETENTION_SWEEP_INTERVAL_MS',
      `${JSON.stringify(value)} is not a whole number of milliseconds: set it like 3600000, or 0 for no timer`,
    );
  }
  return ms;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevelFrom(value: string | undefined): string {
  if (value === undefined || value === '') return 'info';
  if (!LOG_LEVELS.includes(value))
    throw new StartupError('LOG_LEVEL', `${JSON.stringify(value)} is not a level: set one of ${LOG_LEVELS.join(', ')}`);
  return value;
}

/**
 * `SECRETS_KEY` (64 hex chars or base64 of 32 bytes). Without it, the embedded store keeps a
 * generated key beside its data (mode 0600), so a fresh machine still encrypts at rest;
 * a server deployment must set it.
 */
function secretsKeyFrom(value: string | undefined, dataDir: string | undefined): Buffer {
  if (value) {
    const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
    if (key.length !== 32) {
      throw new StartupError(
        'SECRETS_KEY',
        'must be 32 bytes, as 64 hex characters or base64: make one with `openssl rand -hex 32`',
      );
    }
    return key;
  }
  if (!dataDir) {
    throw new StartupError(
      'SECRETS_KEY',
      'is required when DATABASE_URL is set (it encrypts stored secrets): set it to 64 hex characters, e.g. from `openssl rand -hex 32`, the same on every instance',
    );
  }
  const file = join(dataDir, 'secrets.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex'), { mode: 0o600 });
  return key;
}

/** Whether a failed start may print its stack trace (`LOG_LEVEL=debug`), read even when loadConfig fails. */
export function stackTracesWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.LOG_LEVEL === 'debug';
}
