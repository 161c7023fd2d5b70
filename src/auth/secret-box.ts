import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption at rest of stored secrets (the webhook signing secret): AES-256-GCM with a random
 * 96-bit IV per write. The secret's place (tenant id and storage path) is authenticated data, so
 * a ciphertext copied to another tenant's row or another path does not open. Format:
 * `v1.<iv>.<tag>.<data>` in base64url.
 */
const VERSION = 'v1';

/** Where a stored secret lives: part of what its ciphertext authenticates. */
export interface SecretPlace {
  tenantId: string;
  storagePath: string;
}

/** Seals and opens stored secrets with the process's key, which it never hands out. */
export interface SecretBox {
  seal(plaintext: string, place: SecretPlace): string;
  /** The plaintext, or throws when the key, place or ciphertext does not match. */
  open(sealed: string, place: SecretPlace): string;
}

const aadOf = (place: SecretPlace) => Buffer.from(`${place.tenantId}:${place.storagePath}`, 'utf8');

/** A box bound to one 32-byte key (`SECRETS_KEY`). */
export function createSecretBox(key: Buffer): SecretBox {
  return {
    seal(plaintext, place) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aadOf(place));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), data]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed, place) {
      const [version, iv, tag, data] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || data === undefined)
        throw new Error('Unrecognised sealed secret format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(aadOf(place));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
