/**
 * A response as the gateway composes it, before it is sent: by yoga as a `Response` (the plugins),
 * or written straight to the node response by the node:http front (src/http/front.ts). Composing
 * plain values instead of `Response` objects keeps one implementation of each answer for both.
 */
export interface Answer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The body, serialized once; null: none; a stream for answers written as they go (served by yoga). */
  body: string | null | ReadableStream<Uint8Array>;
}

/** Adds a value to a list-valued header (`vary`), as `Headers.append` would. */
export function appendHeader(headers: Record<string, string>, name: string, value: string): void {
  const existing = headers[name];
  headers[name] = existing ? `${existing}, ${value}` : value;
}

/** Sets every header of `from` on `headers`, names lower-cased (`Headers.set` for each). */
export function setHeaders(headers: Record<string, string>, from: Record<string, string> | undefined): void {
  if (from) for (const name in from) headers[name.toLowerCase()] = from[name];
}

/** The JSON body type every JSON answer carries. */
export const JSON_TYPE = 'application/json; charset=utf-8';
