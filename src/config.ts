import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { withOfrepLimit, type RateLimitPolicy } from './rate-limit/policies.js';

/** Everything the process reads from its environment, read once at start. */
export interface AppConfig {
  port: number;
  databaseUrl?: string;
  dataDir: string;
  /** The platform admin's key; when unset there is no platform admin. */
  platformAdminKey?: string;
  /** 32-byte key for AES-256-GCM encryption of stored secrets. */
  secretsKey: Buffer;
  /** Origin put in front of `/share/{token}`; defaults to the request's own origin. */
  publicBaseUrl?: string;
  /** The environment layer of setting resolution (stored > env > default). */
  settingsEnv: Record<string, string | undefined>;
  /** How often the retention sweep runs; 0 disables the timer. */
  retentionSweepIntervalMs: number;
  /** The rate limits of src/rate-limit/policies.ts: on in a real process, off in most tests. */
  rateLimits: RateLimitConfig;
}

export interface RateLimitConfig {
  enabled: boolean;
  /** Multiplies every policy's maximum (e.g. 2 doubles them); default 1. */
  scale?: number;
  /** Replaces the declared per-field policies (tests); default src/rate-limit/policies.ts. */
  fieldPolicies?: Readonly<Record<string, readonly RateLimitPolicy[]>>;
  /** Counters in this Redis (`REDIS_URL`), shared by every gateway process; unset = in the process. */
  redis?: { url: string; keyPrefix?: string };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const dataDir = resolve(env.DATA_DIR ?? './.data');
  return {
    port: Number(env.PORT ?? 4000),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    platformAdminKey: env.PLATFORM_ADMIN_KEY || undefined,
    secretsKey: secretsKeyFrom(env.SECRETS_KEY, env.DATABASE_URL ? undefined : dataDir),
    publicBaseUrl: env.PUBLIC_BASE_URL?.replace(/\/+$/, '') || undefined,
    settingsEnv: env,
    retentionSweepIntervalMs: Number(env.RETENTION_SWEEP_INTERVAL_MS ?? 3_600_000),
    rateLimits: {
      enabled: env.RATE_LIMITS !== 'off',
      scale: rateLimitScale(env.RATE_LIMIT_SCALE),
      fieldPolicies: env.RATE_LIMIT_OFREP_PER_MINUTE ? withOfrepLimit(perMinute('RATE_LIMIT_OFREP_PER_MINUTE', env.RATE_LIMIT_OFREP_PER_MINUTE)) : undefined,
      redis: env.REDIS_URL ? { url: env.REDIS_URL } : undefined,
    },
  };
}

function perMinute(name: string, value: string): number {
  const max = Number(value);
  if (!Number.isInteger(max) || max < 1) throw new Error(`${name} must be a positive whole number`);
  return max;
}

function rateLimitScale(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const scale = Number(value);
  if (!(scale > 0)) throw new Error('RATE_LIMIT_SCALE must be a positive number');
  return scale;
}

/**
 * `SECRETS_KEY` (64 hex chars or base64 of 32 bytes). Without it, the embedded store keeps a
 * generated key beside its data (mode 0600), so a fresh machine still encrypts at rest;
 * a server deployment must set it.
 */
function secretsKeyFrom(value: string | undefined, dataDir: string | undefined): Buffer {
  if (value) {
    const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
    if (key.length !== 32) throw new Error('SECRETS_KEY must be 32 bytes (64 hex characters or base64)');
    return key;
  }
  if (!dataDir) throw new Error('SECRETS_KEY is required when DATABASE_URL is set');
  const file = join(dataDir, 'secrets.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex'), { mode: 0o600 });
  return key;
}
