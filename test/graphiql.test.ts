import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const external = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)=["'](https?:)?\/\/[^"']+["']/gi)].map((m) => m[0]);
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

    const gz = await world.request('/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'gzip, deflate' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('etag')).toBe(etag);
    const gzBytes = Buffer.from(await gz.arrayBuffer());
    expect(gzBytes.length).toBeLessThan(Buffer.byteLength(html) / 2);
    expect(gunzipSync(gzBytes).toString('utf8')).toBe(html);

    const br = await world.request('/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'gzip, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString('utf8')).toBe(html);

    const refused = await world.request('/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'br;q=0, gzip;q=0' } });
    expect(refused.headers.get('content-encoding')).toBeNull();
    expect(await refused.text()).toBe(html);
  });

  it('leaves GraphQL over GET alone', async () => {
    const res = await world.request('/graphql?query=%7B__typename%7D', { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
