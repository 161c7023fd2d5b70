import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

export interface GraphiQLPageOptions {
  /** The GraphQL endpoint the page is served on (GET with Accept: text/html). */
  endpoint: string;
  /** Passed to the bundled renderer (title, default query…). */
  options: Record<string, unknown>;
}

type Encoding = 'br' | 'gzip' | 'identity';

/** The rendered page and its compressed forms, made once per process. */
interface Page {
  etag: string;
  bodies: Partial<Record<Encoding, Promise<Uint8Array<ArrayBuffer>>>>;
  raw: Buffer;
}

/** The best encoding the client accepts (RFC 9110 Accept-Encoding, q-values honoured). */
export function chooseEncoding(acceptEncoding: string | null): Encoding {
  const q: Record<string, number> = {};
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    q[name] = qParam ? Number(qParam.slice(2)) || 0 : 1;
  }
  const weight = (name: string) => q[name] ?? q['*'] ?? 0;
  if (weight('br') > 0 && weight('br') >= weight('gzip')) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return 'identity';
}

/**
 * GraphiQL, from the bundled `@graphql-yoga/render-graphiql` (no CDN). That module is ~9 MB of
 * JavaScript: it is imported on the first page request, not at start, and the page is rendered
 * once (it does not vary per request), then served with a strong ETag (304 on If-None-Match)
 * and, when the client accepts it, brotli or gzip (each made once, on first demand).
 */
export function useGraphiQLPage({ endpoint, options }: GraphiQLPageOptions): Plugin {
  let page: Promise<Page> | undefined;

  const render = async (): Promise<Page> => {
    const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
    const raw = Buffer.from(renderGraphiQL(options), 'utf8');
    const etag = `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`;
    return { raw, etag, bodies: { identity: Promise.resolve(new Uint8Array(raw)) } };
  };

  // Copied once into a Uint8Array of its own: the form a Response body takes.
  const bodyOf = (p: Page, encoding: Encoding): Promise<Uint8Array<ArrayBuffer>> => {
    if (!p.bodies[encoding]) {
      const compressed =
        encoding === 'br'
          ? promisify(brotliCompress)(p.raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: p.raw.length } })
          : promisify(gzip)(p.raw, { level: 9 });
      p.bodies[encoding] = compressed.then((b) => new Uint8Array(b));
    }
    return p.bodies[encoding]!;
  };

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (url.pathname !== endpoint && url.pathname !== `${endpoint}/`) return;
      if (!request.headers.get('accept')?.includes('text/html')) return;
      page ??= render();
      // A failed render is retried on the next request rather than cached.
      const p = await page.catch((error) => {
        page = undefined;
        throw error;
      });
      const headers = new Headers({
        'content-type': 'text/html; charset=utf-8',
        etag: p.etag,
        // Revalidate every time (a new version of the gateway may serve a new page), cheaply.
        'cache-control': 'no-cache',
        vary: 'Accept, Accept-Encoding',
      });
      const ifNoneMatch = request.headers.get('if-none-match');
      if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === p.etag || t.trim() === '*')) {
        endResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return;
      }
      const encoding = chooseEncoding(request.headers.get('accept-encoding'));
      const body = await bodyOf(p, encoding);
      if (encoding !== 'identity') headers.set('content-encoding', encoding);
      headers.set('content-length', String(body.length));
      endResponse(new fetchAPI.Response(request.method === 'HEAD' ? null : body, { status: 200, headers }));
    },
  };
}
