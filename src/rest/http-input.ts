import { isStorableTime, unstorableText, unstorableValue } from '../catalog/formats.js';
import type { HeaderReader, RequestUrl } from '../http/request-head.js';
import type { RestError } from './dialects.js';
import type { BodySpec, JsonSchema, QueryParamSpec } from './route.js';

/**
 * Reading the HTTP side of a REST call: body, query string, conditional headers, Accept.
 * Only shape is checked here (is it JSON, is it an object, is `limit` a number); whether the
 * values make sense is the GraphQL layer's business.
 */

/** Bodies of the documented routes are small settings patches; anything larger is refused unread. */
export const MAX_BODY_BYTES = 256 * 1024;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: RestError };

const bad = (message: string, path?: string): Parsed<never> => ({
  ok: false,
  error: { code: 'BAD_USER_INPUT', message, ...(path !== undefined ? { details: [{ path, message }] } : {}) },
});

const NO_BODY: BodySpec = {
  required: false,
  description: 'none',
  schema: { type: 'object', properties: {}, additionalProperties: false },
};

function isJsonMediaType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

const tooLarge = (max: number): Parsed<never> => ({
  ok: false,
  error: { code: 'PAYLOAD_TOO_LARGE', message: `The body exceeds ${max} bytes` },
});

/** Content codings a body may arrive in (decoded as it is read, the cap counting decoded bytes). */
const DECODERS: Record<string, 'gzip' | 'deflate'> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate' };

/**
 * The body as text, read with a running byte count: refused (413) as soon as it passes `max`,
 * chunked or not, without buffering the rest; a declared Content-Length over `max` is refused
 * unread. A gzip/deflate body is decoded as it is read and the cap counts the decoded bytes
 * (a small bomb cannot expand past it); another coding is 415.
 */
export async function readBodyText(request: Request, max: number): Promise<Parsed<string>> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > max) return tooLarge(max);
  if (!request.body) return { ok: true, value: '' };
  const coding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  let stream: ReadableStream<Uint8Array> = request.body;
  if (coding !== 'identity' && coding !== '') {
    const format = DECODERS[coding];
    if (!format)
      return {
        ok: false,
        error: {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `Content-Encoding ${JSON.stringify(coding)} is not supported (gzip or deflate)`,
        },
      };
    stream = stream.pipeThrough(
      new DecompressionStream(format) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
    );
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > max) {
        // Refused now; the rest is read and dropped as it arrives (never buffered) until the client
        // stops, so the connection stays able to carry the 413 (cancelling would reset it).
        void discardRest(reader);
        return tooLarge(max);
      }
      chunks.push(value);
    }
  } catch (error) {
    // The client went away mid-body: nobody is left to answer (the caller logs `client closed`).
    if (request.signal?.aborted) throw error;
    return {
      ok: false,
      error: { code: 'BAD_USER_INPUT', message: 'The body could not be read (truncated or badly encoded)' },
    };
  }
  return { ok: true, value: Buffer.concat(chunks).toString('utf8') };
}

async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // the client went away: nothing left to drop
  }
}

/**
 * The request body as a JSON object, from its text as read (`readBodyText`, or the node:http
 * front's read of a body of known length). An empty body is `{}` when the route's body is optional.
 * A body with another content type is 415; malformed JSON and non-objects are invalid input.
 * With `schema.additionalProperties === false`, unknown top-level keys are refused here
 * (those bodies are spread into separate variables, so GraphQL would never see the extra keys).
 */
export function readJsonBody(
  read: Parsed<string>,
  headers: HeaderReader,
  declaredSpec: BodySpec | undefined,
): Parsed<Record<string, unknown>> {
  // A route without a body takes nothing, or an empty object (some clients always send `{}`).
  const spec = declaredSpec ?? NO_BODY;
  if (!read.ok) return read;
  const text = read.value;
  if (!text.trim()) {
    if (spec.required) return bad('A JSON object body is required', '');
    return { ok: true, value: {} };
  }
  if (!isJsonMediaType(headers.get('content-type'))) {
    return {
      ok: false,
      error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'The body must be sent as Content-Type: application/json' },
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return bad('The body is not valid JSON', '');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return bad('The body must be a JSON object', '');
  // Text and numbers Postgres would refuse (NUL, lone surrogates, 1e309 parsed as Infinity).
  const unstorable = unstorableValue(value, '');
  if (unstorable)
    return bad(unstorable.message.trim() || 'The body holds a value that cannot be stored', unstorable.path);
  const body = value as Record<string, unknown>;
  const schema = spec.schema;
  if (schema) {
    const unknown = unknownKeys(body, schema);
    if (unknown.length) {
      return {
        ok: false,
        error: {
          code: 'BAD_USER_INPUT',
          message: `Unknown field(s): ${unknown.join(', ')}`,
          details: unknown.map((path) => ({ path, message: 'Unknown field' })),
        },
      };
    }
    const missing = ((schema.required as string[] | undefined) ?? []).filter((k) => !(k in body));
    if (missing.length) {
      return {
        ok: false,
        error: {
          code: 'BAD_USER_INPUT',
          message: `Missing field(s): ${missing.join(', ')}`,
          details: missing.map((path) => ({ path, message: 'Required' })),
        },
      };
    }
  }
  return { ok: true, value: body };
}

function unknownKeys(body: Record<string, unknown>, schema: JsonSchema): string[] {
  if (schema.additionalProperties !== false) return [];
  const known = Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});
  return Object.keys(body).filter((k) => !known.includes(k));
}

/**
 * Query parameters as declared. `integer` must be a whole number; `timestamp` takes ISO-8601 or
 * Unix seconds (seed 001 speaks Unix seconds) and becomes ISO for GraphQL's DateTime.
 */
export function readQuery(
  url: RequestUrl,
  specs: Record<string, QueryParamSpec> | undefined,
): Parsed<Record<string, string | number | undefined>> {
  const out: Record<string, string | number | undefined> = {};
  for (const [name, spec] of Object.entries(specs ?? {})) {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') continue;
    if (spec.type === 'integer') {
      if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) return bad(`${name} must be an integer`, name);
      out[name] = Number(raw);
    } else if (spec.type === 'timestamp') {
      const date = /^\d+$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
      if (Number.isNaN(date.getTime())) return bad(`${name} must be an ISO-8601 time or Unix seconds`, name);
      if (!isStorableTime(date)) return bad(`${name} must be a time between years 0001 and 9999`, name);
      out[name] = date.toISOString();
    } else {
      const unstorable = unstorableText(raw);
      if (unstorable) return bad(`${name} ${unstorable}`, name);
      if (spec.enum && !spec.enum.includes(raw)) return bad(`${name} must be one of ${spec.enum.join(', ')}`, name);
      out[name] = raw;
    }
  }
  return { ok: true, value: out };
}

/** Our ETags are the resource version, quoted: `"7"`. */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/**
 * `If-Match` → the expected version. `*` (or no header) asks for nothing. A tag that is not one
 * of ours can never match: 412 at once, as RFC 9110 says, without a write being attempted.
 */
export function readIfMatch(headers: HeaderReader): Parsed<number | undefined> {
  const raw = headers.get('if-match')?.trim();
  if (!raw || raw === '*') return { ok: true, value: undefined };
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(raw);
  if (!match)
    return {
      ok: false,
      error: { code: 'PRECONDITION_FAILED', message: 'If-Match does not match the current version' },
    };
  return { ok: true, value: Number(match[1]) };
}

/** True when `If-None-Match` names the current tag (a 304 for a GET). */
export function notModified(headers: HeaderReader, etag: string): boolean {
  const raw = headers.get('if-none-match');
  if (!raw) return false;
  return raw.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === etag);
}

/** True when the Accept header ranks text/html above application/json (browsers do; clients rarely). */
export function prefersHtml(accept: string | null): boolean {
  if (!accept) return false;
  let html = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) || 0 : 1;
    if (type === 'text/html') html = Math.max(html, q);
    else if (type === 'application/json') json = Math.max(json, q);
    else if (type === '*/*' || type === 'application/*') json = Math.max(json, q * 0.999);
  }
  return html > 0 && html > json;
}
