import { describe, expect, it } from 'vitest';
import { type CatalogDocumentName, documents, entriesOf } from '../src/catalog/catalog.js';

/**
 * The persistence contract: where each setting's value is stored (`setting_values.path`, or a
 * `tenants` column) and which environment variable sets it. Both are derived from the catalog's
 * declarations, so renaming or moving a declaration changes them; this snapshot makes that a
 * visible, deliberate change (with a migration that moves the stored rows).
 */
describe('catalog persistence contract', () => {
  it('every entry keeps its storage path and environment variable', async () => {
    const lines = (Object.keys(documents) as CatalogDocumentName[]).flatMap((document) =>
      entriesOf(document).map((e) => `${document}:${e.path} -> ${e.storagePath} env=${e.envVar ?? '-'}`),
    );
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('./__snapshots__/catalog-storage-paths.txt');
  });
});
