import type { Logger } from 'pino';

export interface ChangeListener {
  /** True while the LISTEN connection is up (every notification is being heard). */
  readonly live: boolean;
  whenLive(): Promise<void>;
  close(): Promise<void>;
}

export interface ListenOptions {
  databaseUrl: string;
  channel: string;
  /** Set on the connection, so an operator (or a test) can find it in pg_stat_activity. */
  applicationName: string;
  logger: Logger;
  onNotification(payload: string): void;
  /** Called when the connection is lost (false) and when it is listening again (true). */
  onLiveChange(live: boolean): void;
}

/** Waits between reconnection attempts: short at first (a restart of a pooler), then at most 2 s. */
const RETRY_MS = [50, 100, 250, 500, 1000, 2000];

/**
 * One dedicated connection per process doing `LISTEN channel` (a pool connection cannot: it is
 * shared and recycled). When it drops (server restart, `pg_terminate_backend`, network), it
 * reports not live at once and reconnects with backoff until closed.
 */
export function listenForChanges(options: ListenOptions): ChangeListener {
  const { logger } = options;
  let live = false;
  let closed = false;
  let attempt = 0;
  let client: import('pg').Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let liveWaiters: Array<() => void> = [];

  const setLive = (value: boolean) => {
    if (live === value) return;
    live = value;
    if (value) {
      for (const resolve of liveWaiters) resolve();
      liveWaiters = [];
    }
    options.onLiveChange(value);
  };

  const lost = (c: import('pg').Client, reason: string) => {
    if (client !== c) return;
    client = undefined;
    c.removeAllListeners('notification');
    c.end().catch(() => {});
    setLive(false);
    if (closed) return;
    const wait = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)];
    logger.warn(
      { reason, retryInMs: wait },
      'change feed: LISTEN connection lost; serving without caches until it is back',
    );
    retryTimer = setTimeout(() => void connect(), wait);
  };

  const connect = async () => {
    if (closed) return;
    const { default: pg } = await import('pg');
    const c = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: options.applicationName,
      connectionTimeoutMillis: 5_000,
    });
    client = c;
    c.on('error', (error) => lost(c, error.message));
    c.on('end', () => lost(c, 'connection ended'));
    c.on('notification', (n) => {
      if (n.channel === options.channel && n.payload !== undefined) options.onNotification(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${options.channel}`);
    } catch (error) {
      lost(c, (error as Error).message);
      return;
    }
    if (client !== c || closed) return;
    attempt = 0;
    setLive(true);
  };

  void connect();

  return {
    get live() {
      return live;
    },
    whenLive: () => (live ? Promise.resolve() : new Promise<void>((resolve) => liveWaiters.push(resolve))),
    close: async () => {
      closed = true;
      clearTimeout(retryTimer);
      const c = client;
      client = undefined;
      live = false;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => {});
        await c.end().catch(() => {});
      }
    },
  };
}
