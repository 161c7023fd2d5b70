import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** One request the receiver got. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the receiver answers: a status, and optionally headers and a body. */
export interface ReceiverReply {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

/**
 * A webhook receiver on loopback (allowed only with WEBHOOKS_ALLOW_PRIVATE=1). It answers each
 * request with the next scripted reply (200 once the script is used up) and records it.
 */
export async function startReceiver(): Promise<{
  url: (path?: string) => string;
  received: ReceivedWebhook[];
  script(replies: ReceiverReply[]): void;
  close(): Promise<void>;
}> {
  const received: ReceivedWebhook[] = [];
  let replies: ReceiverReply[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = replies.shift() ?? { status: 200 };
      if (reply.hang) return;
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    script: (r) => {
      replies = [...r];
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Standard Webhooks verification, written here from the specification (standardwebhooks.com),
 * independently of the gateway's signer: the key is the secret's UTF-8 bytes, or the base64-
 * decoded bytes after `whsec_`; the signed content is `id.timestamp.body`; the header holds
 * space-separated `v1,<base64>` signatures, one of which must match.
 */
export function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp)) return false;
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.split('_')[1], 'base64') : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((s) => {
    const [version, value] = s.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
