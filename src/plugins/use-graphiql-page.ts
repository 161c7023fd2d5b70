import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, gzip, constants as zlib } from 'node:zlib';
import { type GraphQLSchema, introspectionFromSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { escapeHtml } from '../http/escape-html.js';

export interface GraphiQLPageOptions {
  /** The GraphQL endpoint the page is served on (GET with Accept: text/html). */
  endpoint: string;
  /** Passed to the bundled renderer (title, default query…). */
  options: Record<string, unknown> & { title?: string };
  /**
   * The schema GraphiQL shows: its introspection is served as one more hashed, immutable file,
   * so a page load does not introspect the endpoint again (~130 KB of JSON per load otherwise).
   */
  schema: GraphQLSchema;
}

type Encoding = 'br' | 'gzip' | 'identity';

/** The path prefix of the page's scripts, styles and icon. */
const GRAPHIQL_ASSETS_PATH = '/graphiql/';

/** The browser's localStorage entry that remembers the key. */
const KEY_STORAGE = 'tenant-config-gateway.apiKey';

/** One file of the page (or the page itself), with its compressed forms made once, on first demand. */
interface Served {
  raw: Buffer;
  contentType: string;
  etag: string;
  bodies: Partial<Record<Encoding, Promise<Uint8Array<ArrayBuffer>>>>;
}

interface Built {
  page: Served;
  /** By file name (under GRAPHIQL_ASSETS_PATH): each name holds its content's hash. */
  assets: Map<string, Served>;
}

/** The best encoding the client accepts (RFC 9110 Accept-Encoding, q-values honoured). */
function chooseEncoding(acceptEncoding: string | null): Encoding {
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

const digest = (data: Buffer) => createHash('sha256').update(data).digest('base64url');

function served(raw: Buffer, contentType: string): Served {
  return {
    raw,
    contentType,
    etag: `"${digest(raw).slice(0, 27)}"`,
    bodies: { identity: Promise.resolve(new Uint8Array(raw)) },
  };
}

/**
 * The start-up script of the page: points Monaco's workers at their files, offers the API key
 * field (remembered in localStorage), and renders GraphiQL once every deferred script has run,
 * with the key sent as `Authorization: Bearer …` on every request (schema included). A header
 * typed into GraphiQL's own Headers tab still wins over the field.
 */
function bootScript(options: Record<string, unknown>, workers: Record<string, string>, schemaUrl: string): string {
  return `(function () {
  'use strict';
  var workers = ${JSON.stringify(workers)};
  self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: function (moduleId, label) { return workers[label]; } };
  var STORAGE = ${JSON.stringify(KEY_STORAGE)};
  function storedKey() { try { return localStorage.getItem(STORAGE) || ''; } catch (e) { return ''; } }
  function remember(key) { try { if (key) localStorage.setItem(STORAGE, key); else localStorage.removeItem(STORAGE); } catch (e) {} }
  // Fetched early (the browser keeps it: its name changes with the schema); used once the page is ready.
  var schema = fetch(${JSON.stringify(schemaUrl)}).then(function (res) { return res.json(); });
  document.addEventListener('DOMContentLoaded', function () {
    document.getElementById('key-bar').addEventListener('submit', function (event) { event.preventDefault(); });
    var input = document.getElementById('api-key');
    input.value = storedKey();
    input.addEventListener('input', function () { remember(input.value.trim()); });
    document.getElementById('api-key-forget').addEventListener('click', function () { input.value = ''; remember(''); input.focus(); });
    var options = ${JSON.stringify(options)};
    options.additionalHeaders = function () {
      var key = input.value.trim();
      return key ? { authorization: 'Bearer ' + key } : {};
    };
    schema.then(function (introspection) {
      options.schema = introspection;
    }, function () {
      // Without the file GraphiQL introspects the endpoint itself.
    }).then(function () {
      YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
    });
  });
})();
`;
}

const PAGE_STYLE = `html,body{height:100%;margin:0}
body{display:flex;flex-direction:column}
#key-bar{display:flex;gap:.6em;align-items:center;padding:.4em .8em;font:14px system-ui,sans-serif;background:#f2f4f7;border-bottom:1px solid #d8dde3;color:#333}
#key-bar input{flex:0 1 32em;font:13px ui-monospace,monospace;padding:.3em .5em}
#key-bar small{color:#555}
#root{flex:1;min-height:0}
`;

function pageHtml(
  title: string,
  files: { css: string; style: string; icon: string; boot: string; js: string },
): string {
  const a = (name: string) => GRAPHIQL_ASSETS_PATH + name;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${a(files.icon)}">
<link rel="stylesheet" href="${a(files.css)}">
<link rel="stylesheet" href="${a(files.style)}">
<script defer src="${a(files.boot)}"></script>
<script defer src="${a(files.js)}"></script>
</head>
<body id="body" class="no-focus-outline">
<form id="key-bar" autocomplete="off">
<label for="api-key">API key</label>
<input id="api-key" name="api-key" type="password" spellcheck="false" placeholder="paste a key (npm start prints the demo keys)">
<button id="api-key-forget" type="button">Forget</button>
<small>Sent as <code>Authorization: Bearer …</code> with every request; remembered in this browser only.</small>
</form>
<noscript>You need to enable JavaScript to run GraphiQL.</noscript>
<div id="root"></div>
</body>
</html>
`;
}

/**
 * Splits `@graphql-yoga/render-graphiql`'s bundle (one ~9 MB HTML page when rendered as it is)
 * into files: the GraphiQL script, its style sheet, Monaco's three workers and the icon, each
 * named by its content's hash, plus a small start-up script and the page's own style. Done once
 * per process, on the first request for the page: the module is ~9 MB of JavaScript, not loaded
 * at start.
 */
async function build(endpointOptions: GraphiQLPageOptions['options'], schema: GraphQLSchema): Promise<Built> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const assets = new Map<string, Served>();
  const add = (stem: string, ext: string, raw: Buffer, contentType: string): string => {
    const name = `${stem}-${digest(raw).slice(0, 16)}.${ext}`;
    assets.set(name, served(raw, contentType));
    return name;
  };
  const js = 'text/javascript; charset=utf-8';
  const workers = {
    editorWorkerService: GRAPHIQL_ASSETS_PATH + add('editor.worker', 'js', Buffer.from(bundle.editorWorkerService), js),
    json: GRAPHIQL_ASSETS_PATH + add('json.worker', 'js', Buffer.from(bundle.jsonWorker), js),
    graphql: GRAPHIQL_ASSETS_PATH + add('graphql.worker', 'js', Buffer.from(bundle.graphqlWorker), js),
  };
  const schemaFile = add(
    'schema',
    'json',
    Buffer.from(JSON.stringify(introspectionFromSchema(schema, { descriptions: true }))),
    'application/json; charset=utf-8',
  );
  const icon = /^data:([^;,]+);base64,(.*)$/s.exec(bundle.favicon);
  const files = {
    js: add('graphiql', 'js', Buffer.from(bundle.js), js),
    css: add('graphiql', 'css', Buffer.from(bundle.css), 'text/css; charset=utf-8'),
    style: add('page', 'css', Buffer.from(PAGE_STYLE), 'text/css; charset=utf-8'),
    icon: icon ? add('favicon', 'ico', Buffer.from(icon[2], 'base64'), icon[1]) : '',
    boot: add('boot', 'js', Buffer.from(bootScript(endpointOptions, workers, GRAPHIQL_ASSETS_PATH + schemaFile)), js),
  };
  const page = served(
    Buffer.from(pageHtml(String(endpointOptions.title ?? 'GraphiQL'), files)),
    'text/html; charset=utf-8',
  );
  return { page, assets };
}

// Copied once into a Uint8Array of its own: the form a Response body takes.
function bodyOf(file: Served, encoding: Encoding): Promise<Uint8Array<ArrayBuffer>> {
  if (!file.bodies[encoding]) {
    const compressed =
      encoding === 'br'
        ? promisify(brotliCompress)(file.raw, {
            params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: file.raw.length },
          })
        : promisify(gzip)(file.raw, { level: 9 });
    file.bodies[encoding] = compressed.then((b) => new Uint8Array(b));
  }
  return file.bodies[encoding]!;
}

/**
 * GraphiQL, served by the process from the bundled renderer (no CDN), with an API key field.
 * The page is small and revalidated on every load (`no-cache` + strong ETag, 304); its scripts,
 * styles and icon live under /graphiql/ with content hashes in their names, so they are served
 * `immutable` for a year and a reload moves only the page. Every file is compressed once per
 * encoding (brotli or gzip, as the client accepts) and the result kept.
 */
export function useGraphiQLPage({ endpoint, options, schema }: GraphiQLPageOptions): Plugin {
  let built: Promise<Built> | undefined;
  const load = () => {
    built ??= build(options, schema);
    // A failed build is retried on the next request rather than cached.
    return built.catch((error) => {
      built = undefined;
      throw error;
    });
  };

  const respond = async (
    request: Request,
    file: Served,
    cacheControl: string,
    vary: string,
    Response: typeof globalThis.Response,
  ) => {
    const headers = new Headers({
      'content-type': file.contentType,
      etag: file.etag,
      'cache-control': cacheControl,
      vary,
    });
    const ifNoneMatch = request.headers.get('if-none-match');
    if (ifNoneMatch?.split(',').some((t) => t.trim() === file.etag || t.trim() === '*')) {
      return new Response(null, { status: 304, headers });
    }
    const encoding = chooseEncoding(request.headers.get('accept-encoding'));
    const body = await bodyOf(file, encoding);
    if (encoding !== 'identity') headers.set('content-encoding', encoding);
    headers.set('content-length', String(body.length));
    return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers });
  };

  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      if (url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) {
        const file = (await load()).assets.get(url.pathname.slice(GRAPHIQL_ASSETS_PATH.length));
        if (!file) {
          endResponse(
            new fetchAPI.Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'No such GraphiQL file' } }), {
              status: 404,
              headers: { 'content-type': 'application/json; charset=utf-8' },
            }),
          );
          return;
        }
        // The name changes with the content: a browser may keep it for a year without asking.
        endResponse(
          await respond(request, file, 'public, max-age=31536000, immutable', 'Accept-Encoding', fetchAPI.Response),
        );
        return;
      }
      if (url.pathname !== endpoint && url.pathname !== `${endpoint}/`) return;
      if (!request.headers.get('accept')?.includes('text/html')) return;
      // Revalidated every time (a new version of the gateway serves a page naming new files), cheaply.
      endResponse(
        await respond(request, (await load()).page, 'no-cache', 'Accept, Accept-Encoding', fetchAPI.Response),
      );
    },
  };
}
