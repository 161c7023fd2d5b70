import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeysIn, type GatewayProcess, ROOT, startGateway } from './helpers/gateway-process.js';
import { gql } from './helpers/graphql.js';
import { createTestDatabase } from './helpers/world.js';

// GraphiQL in a real browser (Debian's chromium, driven by playwright-core), against the real
// process. Every request to a host other than loopback is refused by the browser's resolver and
// counted: the page must need none.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUTPUT = join(ROOT, 'test-output', 'graphiql-browser');
const dataDir = mkdtempSync(join(tmpdir(), 'gateway-browser-'));
const env: Record<string, string> = { DATA_DIR: dataDir };
let dropDatabase = async () => {};
let gateway: GatewayProcess;
let keys: ReturnType<typeof demoKeysIn>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const outside: string[] = [];

const isLoopback = (url: string) => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
};

beforeAll(async () => {
  if (process.env.TEST_DATABASE_URL) {
    const db = await createTestDatabase(process.env.TEST_DATABASE_URL);
    Object.assign(env, { DATABASE_URL: db.url, SECRETS_KEY: randomBytes(32).toString('hex') });
    dropDatabase = db.drop;
  }
  gateway = await startGateway(env);
  await gateway.waitForOutput(/GraphiQL: .*\n/, 170_000);
  keys = demoKeysIn(gateway.output());
  mkdirSync(OUTPUT, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      // Every host name but loopback fails to resolve: nothing can leave the machine.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
      '--disable-background-networking',
      '--no-first-run',
    ],
  });
  // No context.route(): Playwright's request interception turns the HTTP cache off, and the
  // reload below must use it. Requests are counted from the context's events instead.
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.on('request', (request) => {
    if (!isLoopback(request.url())) outside.push(request.url());
  });
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
  await dropDatabase();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The text of one of GraphiQL's editors (Monaco renders lines with non-breaking spaces). */
const editorText = (selector: string) =>
  page
    .locator(`${selector} .view-lines`)
    .first()
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText (what the page shows), not the DOM property
    .innerText()
    .then((t) => t.replace(/\u00a0/g, ' '));

describe('GraphiQL in a browser', () => {
  it('runs { me { role tenant { name } } } with the demo viewer key typed into the key field', async () => {
    await page.goto(`${gateway.origin}/graphql`);
    await page.locator('#api-key').fill(keys.VIEWER);
    const query = page.locator('.graphiql-query-editor .monaco-editor').first();
    await query.waitFor();
    await query.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // insertText, not type(): typed braces would be auto-closed by the editor.
    await page.keyboard.insertText(gql`{ me { role tenant { name } } }`);
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(() => editorText('.graphiql-response'), { timeout: 30_000 }).toContain('"role"');
    const result = JSON.parse(await editorText('.graphiql-response'));
    expect(result).toEqual({ data: { me: { role: 'VIEWER', tenant: { name: expect.any(String) } } } });
    // The key is remembered in this browser.
    expect(await page.evaluate(() => localStorage.getItem('tenant-config-gateway.apiKey'))).toBe(keys.VIEWER);
  }, 120_000);

  it('finds TenantConfig in the docs explorer; a screenshot is saved', async () => {
    await page.getByRole('button', { name: /Show Documentation Explorer/i }).click();
    await page.locator('[data-cy="doc-explorer-input"]').fill('TenantConfig');
    await page
      .locator('[role="option"]')
      .filter({ hasText: /^TenantConfig$/ })
      .first()
      .click();
    await expect
      // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText (what the page shows), not the DOM property
      .poll(() => page.locator('.graphiql-doc-explorer-title').first().innerText(), { timeout: 20_000 })
      .toBe('TenantConfig');
    const file = join(OUTPUT, 'graphiql.png');
    await page.screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(10_000);
  }, 60_000);

  it('on reload moves under 20 KB: the page revalidates; its files and the schema come from the cache', async () => {
    await page.reload({ waitUntil: 'networkidle' });
    await page.locator('.graphiql-query-editor .monaco-editor').first().waitFor();
    await page.waitForTimeout(500); // Monaco's workers start after the editor shows
    // What the browser itself says it moved (Resource Timing: headers + encoded body, 0 from cache).
    const entries = await page.evaluate(() =>
      [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].map((e) => {
        const r = e as PerformanceResourceTiming;
        return {
          name: new URL(r.name).pathname,
          kind: r.initiatorType,
          transferSize: r.transferSize,
          bodySize: r.decodedBodySize,
        };
      }),
    );
    const transferred = entries.reduce((sum, e) => sum + e.transferSize, 0);
    console.log(
      `GraphiQL reload: ${transferred} bytes transferred\n` +
        entries
          .map((e) => `  ${e.kind} ${e.name}: ${e.transferSize} transferred (${e.bodySize} bytes decoded)`)
          .join('\n'),
    );
    expect(entries.find((e) => e.kind === 'navigation')).toBeDefined();
    expect(entries.filter((e) => e.name.startsWith('/graphiql/')).length).toBeGreaterThanOrEqual(5);
    // No introspection of the endpoint on load: the schema is a cached file too.
    expect(entries.filter((e) => e.name === '/graphql' && e.kind !== 'navigation')).toEqual([]);
    expect(transferred).toBeLessThan(20_000);
    // The key survived the reload.
    expect(await page.locator('#api-key').inputValue()).toBe(keys.VIEWER);
  }, 60_000);

  it('made no request outside loopback', () => {
    expect(outside).toEqual([]);
  });
});
