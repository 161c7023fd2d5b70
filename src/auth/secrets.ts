import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys and share tokens are 256 random bits, so a plain SHA-256 is a sufficient
 * one-way store (no salt or slow hash needed: there is nothing to brute-force).
 */
export function hashSecret(secret: string): string {
  return secretDigest(secret).toString('hex');
}

/**
 * SHA-256 of a secret, as bytes (`hashSecret` is its hex). The one-shot `hash` (no Hash object):
 * ~4× faster than createHash for a key, and every request with a key makes one.
 */
export function secretDigest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

const API_KEY_PREFIX = 'tcg_';
/** How many leading characters of a key are kept in clear, to recognise it in a list. */
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = API_KEY_PREFIX + randomToken(32);
  return { key, prefix: key.slice(0, VISIBLE_PREFIX_LENGTH), hash: hashSecret(key) };
}

export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(secretDigest(a), secretDigest(b));
}

/** Digests of the process's own secrets (the platform key, the metrics token), made once. */
const knownDigests = new Map<string, Buffer>();

/** Whether a presented secret, by its digest, is `known` (compared in constant time). */
export function digestMatches(digest: Buffer, known: string): boolean {
  let knownDigest = knownDigests.get(known);
  if (!knownDigest) knownDigests.set(known, (knownDigest = secretDigest(known)));
  return timingSafeEqual(digest, knownDigest);
}
