import type { IncomingMessage } from 'node:http';

/**
 * The client's address: the peer of the node request's socket (Yoga puts the node request in
 * the server context as `req`). Forwarded headers are not trusted: any client can write them.
 * 'unknown' when there is no socket (an in-process `yoga.fetch`).
 */
export function clientAddressOf(serverContext: unknown): string {
  const req = (serverContext as { req?: Pick<IncomingMessage, 'socket'> } | undefined)?.req;
  return req?.socket?.remoteAddress ?? 'unknown';
}
