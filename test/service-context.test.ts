import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entriesOf } from '../src/catalog/catalog.js';
import { loadConfig } from '../src/config.js';
import type { ServiceContext } from '../src/services/service-context.js';
import { buildRequest, createWorld, PLATFORM_KEY, type World } from './helpers/world.js';

let world: World;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(() => world.close());

/** The context the app builds for one request, as a resolver receives it. */
async function contextOf(request: Request): Promise<ServiceContext> {
  const { contextFactory } = world.app.getEnveloped({ request });
  return (await contextFactory()) as unknown as ServiceContext;
}

describe('the context carries capabilities, not configuration', () => {
  it('holds no configuration: the secrets key and the platform key stay out of it', async () => {
    const ctx = await contextOf(buildRequest('/graphql', { key: PLATFORM_KEY }));
    expect(ctx).not.toHaveProperty('config');
    const key = world.config.secretsKey;
    for (const [name, value] of Object.entries(ctx)) {
      if (name === 'request' || name === 'params') continue;
      expect(Buffer.isBuffer(value) && value.equals(key), name).toBe(false);
      expect(value, name).not.toBe(PLATFORM_KEY);
    }
    // The secret box: seal and open, no key to read.
    expect(Object.keys(ctx.secrets).sort()).toEqual(['open', 'seal']);
    const place = { tenantId: '00000000-0000-4000-8000-000000000000', storagePath: 'settings.webhookSigningSecret' };
    expect(ctx.secrets.open(ctx.secrets.seal('s3cret', place), place)).toBe('s3cret');
    expect(ctx.shareBaseUrl).toBe('http://localhost:0');
  });

  it("the settings' environment layer holds only the catalog's variables", () => {
    const settingVar = entriesOf('config').find((e) => e.envVar)!.envVar!;
    const config = loadConfig({
      SECRETS_KEY: randomBytes(32).toString('hex'),
      PLATFORM_ADMIN_KEY: 'platform-key-for-the-test',
      DATABASE_URL: 'postgres://user:password@db.example:5432/app',
      [settingVar]: '42',
    });
    expect(config.settingsEnv).toEqual({ [settingVar]: '42' });
    expect(config.origin).toBe('http://localhost:4000');
    expect(loadConfig({ SECRETS_KEY: '0'.repeat(64), PORT: '4321' }).origin).toBe('http://localhost:4321');
  });
});
