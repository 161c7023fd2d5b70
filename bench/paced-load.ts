// An open-loop, evenly paced load generator (as wrk2): request i is due at start + i / rate,
// whether or not earlier ones have been answered, and its latency runs from that due time. A
// stalled server (or a late generator) therefore shows in the latencies instead of slowing the
// sending down and hiding itself (coordinated omission). autocannon's rate mode does neither: it
// sends each connection's quota for the second in one burst, and pads its histogram with
// synthetic samples at a 1 ms expected interval.
import { Agent, request as httpRequest } from 'node:http';

export interface PacedRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface PacedLoadOptions {
  port: number;
  host?: string;
  /** Requests per second, sent evenly spaced. */
  rate: number;
  seconds: number;
  /** Keep-alive sockets at most; requests beyond them wait for one (and that wait counts). */
  connections: number;
  /** Sent in turn, one after the other. */
  requests: PacedRequest[];
  /** How long to wait for the last answers after the last request is due, ms. */
  drainMs?: number;
}

export interface PacedLoadResult {
  sent: number;
  completed: number;
  non2xx: number;
  /** Connection errors, plus requests still unanswered drainMs after the last was due. */
  errors: number;
  /** From the start to the last answer (at least `seconds`). */
  elapsedSeconds: number;
  /** Latency from each request's due time to the end of its answer's body, ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late the generator sent requests after their due times, ms: small means it kept up. */
  lagP99: number;
  maxLag: number;
}

const now = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** The value at or below which p % of the sorted values lie (nearest rank). */
function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const { port, host = '127.0.0.1', rate, seconds, connections, requests, drainMs = 10_000 } = options;
  const total = Math.round(rate * seconds);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const bodies = requests.map((r) => (r.body === undefined ? undefined : Buffer.from(r.body)));
  const latencies = new Float64Array(total);
  const lags = new Float64Array(total);
  let sent = 0;
  let completed = 0;
  let non2xx = 0;
  let errors = 0;
  let lastEnd = 0;
  let settled = 0;
  let onSettled: () => void = () => {};
  const settle = () => {
    settled++;
    if (settled === total) onSettled();
  };

  const t0 = process.hrtime.bigint();
  const send = (i: number, due: number) => {
    const spec = requests[i % requests.length];
    const body = bodies[i % requests.length];
    const headers = body ? { ...spec.headers, 'content-length': String(body.length) } : spec.headers;
    const req = httpRequest({ host, port, agent, method: spec.method, path: spec.path, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        const end = now(t0);
        latencies[completed++] = end - due;
        lastEnd = Math.max(lastEnd, end);
        if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) non2xx++;
        settle();
      });
      res.on('error', () => {
        errors++;
        settle();
      });
    });
    req.on('error', () => {
      errors++;
      settle();
    });
    req.end(body);
    sent++;
  };

  const done = new Promise<void>((resolveDone) => {
    onSettled = resolveDone;
    if (total === 0) resolveDone();
  });
  // Wakes, sends every request whose due time has passed, and sleeps until the next is due: the
  // due times are computed from the start, so a late wake-up does not shift the ones after it.
  const intervalMs = 1000 / rate;
  await new Promise<void>((resolveSending) => {
    const tick = () => {
      const t = now(t0);
      while (sent < total && sent * intervalMs <= t) {
        const due = sent * intervalMs;
        lags[sent] = now(t0) - due;
        send(sent, due);
      }
      if (sent === total) return resolveSending();
      // Node's timers have 1 ms steps: a request can go out up to ~1 ms late (counted in its
      // latency and in maxLag), rather than spinning a core the server under test needs.
      setTimeout(tick, Math.max(1, Math.floor(sent * intervalMs - now(t0))));
    };
    tick();
  });
  let timer: NodeJS.Timeout | undefined;
  const unanswered = await Promise.race([
    done.then(() => 0),
    new Promise<number>((r) => {
      timer = setTimeout(() => r(total - settled), drainMs);
    }),
  ]);
  clearTimeout(timer);
  agent.destroy();

  const sorted = latencies.subarray(0, completed).sort();
  const sortedLags = lags.subarray(0, sent).sort();
  return {
    sent,
    completed,
    non2xx,
    errors: errors + unanswered,
    elapsedSeconds: Math.max(seconds, lastEnd / 1000),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    lagP99: percentile(sortedLags, 99),
    maxLag: sent ? sortedLags[sent - 1] : Number.NaN,
  };
}
