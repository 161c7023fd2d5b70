import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks signing (standardwebhooks.com): `v1,` + base64 HMAC-SHA256 of
 * `{webhook-id}.{webhook-timestamp}.{body}`. A secret written `whsec_<base64>` is keyed by its
 * decoded bytes (what the spec's receiver libraries expect); any other secret by its UTF-8 bytes.
 */
export function webhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = secret.startsWith('whsec_')
    ? Buffer.from(secret.slice('whsec_'.length), 'base64')
    : Buffer.from(secret, 'utf8');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}
