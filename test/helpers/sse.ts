/**
 * A client of the GraphQL subscription over Server-Sent Events (graphql-yoga's transport): it
 * reads the response body as it arrives and splits it into events. `next()` waits for the next
 * `next` event's payload; `ended` resolves when the server sent `complete` or closed the body.
 */
export interface SseStream {
  status: number;
  /** The next payload ({ data, errors }); rejects after `timeoutMs` or when the stream ends first. */
  next(timeoutMs?: number): Promise<any>;
  /** Payloads received and not yet taken by next(). */
  pending(): any[];
  /** Everything received so far, as sent (pings included). */
  raw(): string;
  /** Resolves when the server completes or closes the stream. */
  ended: Promise<void>;
  close(): Promise<void>;
}

export async function openSse(
  send: (request: Request) => Promise<Response> | Response,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const controller = new AbortController();
  const res = await send(
    new Request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify(body),
      signal: controller.signal,
    }),
  );
  const payloads: any[] = [];
  let waiter: (() => void) | undefined;
  let text = '';
  let done = false;
  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  const finish = () => {
    done = true;
    resolveEnded();
    waiter?.();
  };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let rest = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done: eof } = await reader.read();
        if (eof) break;
        const chunk = decoder.decode(value, { stream: true });
        text += chunk;
        rest += chunk;
        let at: number;
        while ((at = rest.indexOf('\n\n')) >= 0) {
          const block = rest.slice(0, at);
          rest = rest.slice(at + 2);
          const lines = block.split('\n');
          const event = lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim();
          const data = lines
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (event === 'complete') finish();
          else if (data) {
            payloads.push(JSON.parse(data));
            waiter?.();
          }
        }
      }
    } catch {
      // aborted by close()
    }
    finish();
  })();

  return {
    status: res.status,
    pending: () => payloads,
    raw: () => text,
    ended,
    next: (timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`no event within ${timeoutMs} ms; received so far:\n${text}`));
        }, timeoutMs);
        const check = () => {
          if (payloads.length) {
            clearTimeout(timer);
            waiter = undefined;
            resolve(payloads.shift());
          } else if (done) {
            clearTimeout(timer);
            waiter = undefined;
            reject(new Error(`stream ended; received:\n${text}`));
          } else waiter = check;
        };
        check();
      }),
    close: async () => {
      controller.abort();
      await reader.cancel().catch(() => {});
    },
  };
}
