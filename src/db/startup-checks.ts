import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartupError } from '../errors/startup-error.js';
import type { StoreOptions } from './connect.js';
import { loadPGliteEngine } from './pglite-engine.js';

/** Network failures of a connection attempt (pg reports them with Node's error codes). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

function codeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: { code?: unknown }[]; cause?: unknown } | null;
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  const code = e?.code ?? e?.errors?.[0]?.code;
  if (typeof code === 'string') return code;
  // A failed migration carries the driver's error as its cause.
  return e?.cause ? codeOf(e.cause) : undefined;
}

/** `host:port` of a database URL: what the operator needs, without the password. */
function where(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port || 5432}${url.pathname}`;
}

/**
 * Turns a failure to open, reach or migrate the store at start into a StartupError that says
 * which variable to fix, when the failure is one an operator causes (server down, wrong password,
 * missing database, a data folder of another PGlite version). Anything else is left as it is.
 */
export function explainStoreFailure(error: unknown, options: StoreOptions): StartupError | undefined {
  if (error instanceof StartupError) return error;
  const code = codeOf(error);
  const message = [error, (error as { cause?: unknown })?.cause]
    .map((e) => (e instanceof Error ? e.message : ''))
    .join(' ');
  if (options.databaseUrl) {
    const at = where(options.databaseUrl);
    if (code && UNREACHABLE.has(code)) {
      return new StartupError(
        'DATABASE_URL',
        `cannot reach the database server at ${at} (${code}): start Postgres there, or fix the host and port in DATABASE_URL`,
      );
    }
    if (/timeout/i.test(message) && /connect/i.test(message)) {
      return new StartupError(
        'DATABASE_URL',
        `no answer from the database server at ${at} within 5 s: start Postgres there, or fix the host and port in DATABASE_URL`,
      );
    }
    if (code === '28P01' || code === '28000') {
      return new StartupError(
        'DATABASE_URL',
        `the database server at ${at} refused the user or password (${code}): fix them in DATABASE_URL`,
      );
    }
    if (code === '3D000') {
      return new StartupError(
        'DATABASE_URL',
        `the database at ${at} does not exist: create it (createdb) or name an existing one in DATABASE_URL`,
      );
    }
    return undefined;
  }
  if (options.dataDir.startsWith('memory://')) return undefined;
  if (code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EEXIST') {
    return new StartupError(
      'DATA_DIR',
      `cannot use ${options.dataDir} as the data folder (${code}): point DATA_DIR at a folder this user can write`,
    );
  }
  return undefined;
}

/**
 * When PGlite failed to open an existing data folder: is the folder from another PostgreSQL
 * major version (PGlite 0.4 embeds 17, 0.5 embeds 18, and neither opens the other's folder)?
 * Asks an in-memory PGlite which version it runs: slow (a second or two), but only on this
 * failure path.
 */
export async function explainPGliteVersionMismatch(dataDir: string): Promise<StartupError | undefined> {
  const versionFile = join(dataDir, 'PG_VERSION');
  if (dataDir.startsWith('memory://') || !existsSync(versionFile)) return undefined;
  const made = readFileSync(versionFile, 'utf8').trim();
  let ours: string | undefined;
  try {
    const { PGlite, options } = await loadPGliteEngine();
    const probe = await PGlite.create('memory://', options);
    const { rows } = await probe.query<{ v: string }>("select current_setting('server_version_num') as v");
    await probe.close();
    ours = String(Math.floor(Number(rows[0].v) / 10_000));
  } catch {
    return undefined;
  }
  if (made === ours) return undefined;
  return new StartupError(
    'DATA_DIR',
    `${dataDir} was made by PostgreSQL ${made} (another PGlite version); this gateway's PGlite runs PostgreSQL ${ours} and cannot open it: run the gateway version that made it, or point DATA_DIR at a new folder`,
  );
}
