import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root: where `src/main.ts` is. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  origin: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** The stdout lines that are JSON (the log), parsed. */
  logLines(): Record<string, any>[];
  /** Resolves once the output matches (or rejects when the process exits first). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** The exit code (null if killed by a signal). */
  exited: Promise<number | null>;
  /** Milliseconds from spawn until /ready answered 200. */
  waitUntilReady(timeoutMs?: number): Promise<number>;
  stop(): Promise<number | null>;
}

/**
 * The real server, as `npm start` runs it (`node scripts/start.mjs`), on a free port. The environment
 * is the caller's `env` on top of PATH/HOME only, so no DATABASE_URL or key leaks in.
 */
export async function startGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: ROOT,
    // A PORT in `env` wins (start-up error tests); otherwise the free port found here.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const l of listeners) l();
  });
  const origin = `http://127.0.0.1:${port}`;

  const waitForOutput = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out waiting for ${pattern}; output:\n${out}`)), timeoutMs);
      const check = () => {
        const match = out.match(pattern);
        if (match) done(undefined, match);
        else if (hasExited) done(new Error(`process exited before ${pattern}; output:\n${out}`));
      };
      const done = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (error) reject(error);
        else resolve(match!);
      };
      listeners.add(check);
      check();
    });

  const waitUntilReady = async (timeoutMs = 60_000) => {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (hasExited) throw new Error(`process exited before ready; output:\n${out}`);
      try {
        const res = await fetch(`${origin}/ready`);
        if (res.status === 200) return performance.now() - startedAt;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`not ready after ${timeoutMs} ms; output:\n${out}`);
  };

  return {
    child,
    port,
    origin,
    output: () => out,
    logLines: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l)),
    waitForOutput,
    exited,
    waitUntilReady,
    stop: async () => {
      if (!hasExited) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The three demo keys from the first-start banner. */
export function demoKeysIn(output: string): { VIEWER: string; OPERATOR: string; ADMIN: string } {
  const key = (label: string) => {
    const m = output.match(new RegExp(`^\\s*${label}:\\s+(\\S+)\\s*$`, 'm'));
    if (!m) throw new Error(`no ${label} key printed`);
    return m[1];
  };
  return { VIEWER: key('viewer'), OPERATOR: key('operator'), ADMIN: key('admin') };
}
