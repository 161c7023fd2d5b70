import type { RequestHead } from './request-head.js';

/** The three documented key transports, in order: Bearer, x-api-key, ?api_key=. */
export function apiKeyFromRequest(request: RequestHead): string | undefined {
  const authorization = request.headers.get('authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = request.headers.get('x-api-key');
  if (header?.trim()) return header.trim();
  const query = new URL(request.url).searchParams.get('api_key');
  return query?.trim() ? query.trim() : undefined;
}
