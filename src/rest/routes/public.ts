import { notFound } from '../../errors/domain-error.js';
import type { SharedScanView } from '../../services/shared-scan-view.js';
import { defineRoute } from '../route.js';
import { renderSharePageHtml } from '../share-page-html.js';
import { graphql } from '../typed-graphql.js';

/**
 * `GET /share/{token}`: the keyless view of a shared scan. Unknown, expired, revoked
 * and forged tokens all come back from GraphQL as the same NOT_FOUND, so they get the same 404.
 * Nothing about it may be cached or leak through a Referer.
 */
const sharedScan = defineRoute({
  method: 'GET',
  path: '/share/:token',
  family: 'public',
  summary: 'The shared scan, as the link scope allows (JSON; HTML when the client prefers it).',
  auth: 'public',
  operation: graphql('query RestSharedScan($token: String!) { sharedScan(token: $token) }'),
  params: { token: { description: 'The share token from the link URL.', secret: true } },
  variables: ({ params }) => ({ token: params.token }),
  respond: ({ sharedScan: view }) => {
    if (view == null) throw notFound('Share link');
    return { body: view };
  },
  // Browsers (Accept prefers text/html) get a readable page of the same view.
  // JSON in the schema: the view the shared-scan service builds.
  html: ({ sharedScan: view }) => renderSharePageHtml(view as SharedScanView),
  // The page runs no script and loads nothing; it may not be framed.
  headers: {
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    'x-frame-options': 'DENY',
  },
  responseSchema: { type: 'object', description: 'report | bundle | passport view of the scan.' },
});

export const publicRoutes = [sharedScan];
