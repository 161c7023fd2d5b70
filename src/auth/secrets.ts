import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys and share tokens are 256 random bits, so a plain SHA-256 is a sufficient
 * one-way store (no salt or slow hash needed: there is nothing to brute-force).
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
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
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
