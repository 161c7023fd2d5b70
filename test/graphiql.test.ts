import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql } from './helpers/graphql.js';
import { createWorld, type World } from './helpers/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

describe('GraphiQL', () => {
  it('is served by the process itself, with no script or style from another host', async () => {
    const res = await world.request('/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('Tenant configuration gateway');
    // Any <script src> or <link href> must be relative: a CDN would break offline use.
    const external = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)=["'](https?:)?\/\/[^"']+["']/gi)].map(
      (m) => m[0],
    );
    expect(external).toEqual([]);
  });

  it('is rendered once: a strong ETag, 304 on If-None-Match, brotli or gzip when accepted, the same page each way', async () => {
    const plain = await world.request('/graphql', { headers: { accept: 'text/html' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const html = await plain.text();
    const etag = plain.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/); // strong: no W/
    expect(plain.headers.get('vary')).toMatch(/Accept-Encoding/);

    const again = await world.request('/graphql', { headers: { accept: 'text/html', 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');

    const gz = await world.request('/graphql', {
      headers: { accept: 'text/html', 'accept-encoding': 'gzip, deflate' },
    });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('etag')).toBe(etag);
    const gzBytes = Buffer.from(await gz.arrayBuffer());
    expect(gzBytes.length).toBeLessThan(Buffer.byteLength(html));
    expect(gunzipSync(gzBytes).toString('utf8')).toBe(html);

    const br = await world.request('/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'gzip, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString('utf8')).toBe(html);

    const refused = await world.request('/graphql', {
      headers: { accept: 'text/html', 'accept-encoding': 'br;q=0, gzip;q=0' },
    });
    expect(refused.headers.get('content-encoding')).toBeNull();
    expect(await refused.text()).toBe(html);
  });

  it('leaves GraphQL over GET alone', async () => {
    const res = await world.request(`/graphql?query=${encodeURIComponent(gql`{__typename}`)}`, {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('GraphiQL files', () => {
  const page = async () =>
    await world.request('/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'br' } });
  const assetPaths = (html: string) => [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]);

  it('is a small page with an API key field and a one-line hint; scripts and styles are separate files named by content hash', async () => {
    const res = await page();
    const compressed = Buffer.from(await res.arrayBuffer());
    const html = brotliDecompressSync(compressed).toString('utf8');
    expect(compressed.length).toBeLessThan(20_000);
    expect(html.length).toBeLessThan(20_000);
    expect(html).toMatch(/<input id="api-key"[^>]*type="password"/);
    expect(html).toContain(
      'Sent as <code>Authorization: Bearer …</code> with every request; remembered in this browser only.',
    );
    expect(html).not.toMatch(/<script>|<style>|data:/); // nothing inlined
    const paths = assetPaths(html);
    expect(paths).toHaveLength(5); // the icon, GraphiQL's and the page's style sheets, the boot script, GraphiQL's script
    for (const path of paths) expect(path).toMatch(/^\/graphiql\/[a-z.]+-[A-Za-z0-9_-]{16}\.(js|css|ico)$/);
  });

  it('serves each file immutable for a year, compressed as accepted, the same bytes each way, and the name is its content hash', async () => {
    const html = await (await world.request('/graphql', { headers: { accept: 'text/html' } })).text();
    const boot = assetPaths(html).find((p) => p.includes('/boot-'))!;
    const plain = await world.request(boot);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const source = Buffer.from(await plain.arrayBuffer());
    // The boot script sends the key field's value as a Bearer token and remembers it.
    expect(source.toString()).toContain("authorization: 'Bearer ' + key");
    expect(source.toString()).toContain('localStorage.setItem');
    // Monaco's workers are files too, named in the boot script.
    const workers = [...source.toString().matchAll(/"(\/graphiql\/[a-z.]+worker-[^"]+\.js)"/g)].map((m) => m[1]);
    expect(workers).toHaveLength(3);
    const hash = createHash('sha256').update(source).digest('base64url').slice(0, 16);
    expect(boot).toContain(`-${hash}.js`);

    const js = assetPaths(html).find((p) => p.includes('/graphiql-') && p.endsWith('.js'))!;
    const br = await world.request(js, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    const gz = await world.request(js, { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const raw = brotliDecompressSync(Buffer.from(await br.arrayBuffer()));
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).equals(raw)).toBe(true);
    expect(raw.toString('utf8', 0, 200)).toContain('YogaGraphiQL');
    for (const worker of workers) expect((await world.request(worker)).status).toBe(200);
  });

  it('answers 404 for a name it does not serve', async () => {
    const res = await world.request('/graphiql/graphiql-AAAAAAAAAAAAAAAA.js');
    expect(res.status).toBe(404);
  });
});
