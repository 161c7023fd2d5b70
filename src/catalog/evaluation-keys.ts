import { type CatalogDocumentName, type CatalogEntry, documents, entriesOf } from './catalog.js';
import { type Feature, features } from './features.js';

/**
 * The keys an OpenFeature client evaluates (OFREP, src/rest/routes/ofrep.ts), derived from the
 * one catalog: every feature flag by its key (`advanced_mfa`), every setting by its document
 * and path (`config.performance.cache_size_mb`, `admin.authentication.password_policy.min_length`,
 * `settings.certExpiryDays`). Secrets have no key: to a client they do not exist. Feature keys
 * carry no dot and setting keys always do, so the two never collide.
 */
export type EvaluationKey =
  | { key: string; kind: 'feature'; feature: Feature }
  | { key: string; kind: 'setting'; entry: CatalogEntry };

export const evaluationKeys: readonly EvaluationKey[] = [
  ...features.map((feature): EvaluationKey => ({ key: feature.key, kind: 'feature', feature })),
  ...(Object.keys(documents) as CatalogDocumentName[])
    .flatMap((document) => entriesOf(document))
    .filter((entry) => !entry.spec.secret)
    .map((entry): EvaluationKey => ({ key: `${entry.document}.${entry.path}`, kind: 'setting', entry })),
];

const byKey = new Map(evaluationKeys.map((k) => [k.key, k]));

export function evaluationKeyOf(key: string): EvaluationKey | undefined {
  return byKey.get(key);
}
