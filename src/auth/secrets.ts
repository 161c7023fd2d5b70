import { hash, randomBytes } from 'node:crypto';

/**
 * API keys and share tokens are 256 random bits, so a plain SHA-256 is a sufficient
 * one-way store (no salt or slow hash needed: there is nothing to brute-force).
 */
export function hashSecret(secret: string): string {
  // The one-shot `hash` straight to hex: no Hash object, and no Buffer made from native code
  // (that costs a prototype transition each time: ~4 µs of a cached read in the server, measured
  // with perf, against well under 1 µs for the hex string). Every request with a key makes one.
  return hash('sha256', secret, 'hex');
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
  return hexDigestsEqual(hashSecret(a), hashSecret(b));
}

/** Two hex digests compared in constant time (every character is looked at, whatever differs). */
function hexDigestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** Digests of the process's own secrets (the platform key, the metrics token), made once. */
const knownDigests = new Map<string, string>();

/** Whether a presented secret, by its digest (`hashSecret`), is `known` (compared in constant time). */
export function digestMatches(digest: string, known: string): boolean {
  let knownDigest = knownDigests.get(known);
  if (!knownDigest) knownDigests.set(known, (knownDigest = hashSecret(known)));
  return hexDigestsEqual(digest, knownDigest);
}
