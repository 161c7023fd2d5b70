/**
 * A Server-Sent Events body (`text/event-stream`) fed by an async iterator: one event per item,
 * `id:` and `data:` (JSON on one line), a comment line as a heartbeat every `heartbeatMs` so
 * proxies keep an idle stream open, and `retry:` so a browser's EventSource reconnects after a
 * second (sending the last id as `Last-Event-ID`).
 *
 * The body ends when the iterator does, when `toEvent` throws (told to `onError`), or when the
 * client goes away (the body is cancelled or the request's signal aborts); every end returns the
 * iterator, so what it holds (a change-feed listener, a stream slot) is let go at once.
 */

interface SseEvent {
  id?: string;
  data: unknown;
}

export interface EventStreamOptions<T> {
  toEvent: (item: T) => SseEvent;
  heartbeatMs: number;
  /** The reconnection delay a client is told (ms). */
  retryMs?: number;
  signal?: AbortSignal;
  onError: (error: unknown) => void;
}

const encoder = new TextEncoder();

/** One event as the wire carries it; an id never holds a line break (it would end the field). */
function formatEvent(event: SseEvent): string {
  const id = event.id !== undefined ? `id: ${event.id.replace(/[\r\n]/g, '')}\n` : '';
  return `${id}data: ${JSON.stringify(event.data)}\n\n`;
}

export function eventStreamBody<T>(
  items: AsyncIterator<T>,
  { toEvent, heartbeatMs, retryMs = 1000, signal, onError }: EventStreamOptions<T>,
): ReadableStream<Uint8Array> {
  let closed = false;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    items.return?.().catch(onError);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          stop();
        }
      };
      write(`retry: ${retryMs}\n: connected\n\n`);
      heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
      heartbeat.unref?.();
      signal?.addEventListener('abort', stop, { once: true });
      void (async () => {
        try {
          for (;;) {
            const next = await items.next();
            if (next.done || closed) break;
            write(formatEvent(toEvent(next.value)));
          }
        } catch (error) {
          if (!closed) onError(error);
        } finally {
          const open = !closed;
          stop();
          if (open) {
            try {
              controller.close();
            } catch {
              // already cancelled by the client
            }
          }
        }
      })();
    },
    cancel() {
      stop();
    },
  });
}
