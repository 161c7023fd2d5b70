import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { RequestInfo } from './request-info.js';

/** What the gateway's own code reads of a request: method, URL and headers (by name). */
export interface RequestHead {
  readonly method: string;
  /** Absolute. */
  readonly url: string;
  readonly headers: HeaderReader;
}

/** The read side of `Headers`: a header's value by (case-insensitive) name, null when absent. */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * The head of a node request as a `RequestHead`, read straight from node's parsed headers (no
 * `Headers` copy, no `Request`, no abort signal): what the node:http front (src/http/front.ts)
 * hands to yoga's pipeline and the REST layer. Node has already lower-cased the names and joined
 * repeated headers the way a `Headers` would.
 */
export class NodeRequestHead implements RequestHead, HeaderReader {
  readonly method: string;
  readonly url: string;
  /** The request's log and metrics info (src/http/request-info.ts), kept here rather than in a WeakMap. */
  info: RequestInfo | undefined = undefined;
  private readonly raw: IncomingHttpHeaders;

  constructor(req: IncomingMessage) {
    this.method = req.method ?? 'GET';
    this.url = `http://localhost${req.url ?? '/'}`;
    this.raw = req.headers;
  }

  get headers(): HeaderReader {
    return this;
  }

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  }
}

/** What the gateway reads of a request's URL: its path and query. */
export type RequestUrl = Pick<URL, 'pathname' | 'search' | 'searchParams'>;

/** The path of an absolute URL, without parsing all of it (this runs on every request). */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}
