import { expect } from 'vitest';
import type { Transport, World } from './world.js';

/** A REST call with a JSON body (or none), answering status, headers and parsed body. */
export async function rest(
  world: World,
  method: string,
  path: string,
  options: {
    key?: string;
    transport?: Transport;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await world.request(path, { method, headers, body, key: options.key, transport: options.transport });
  const text = res.headers.get('content-type')?.startsWith('text/event-stream')
    ? await streamStart(res)
    : await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** An event stream never ends by itself: what it sends first (up to its first blank line), then it is closed. */
async function streamStart(res: Response): Promise<string> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text;
}

/** The log line the app wrote for one request id (REST and its inner GraphQL request share one). */
export function logLineOf(world: World, requestId: string | null) {
  const lines = world.logLines().filter((l) => l.requestId === requestId && 'status' in l);
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** The `/tenant/*` dialect body. */
export function expectTenantError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
}

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
