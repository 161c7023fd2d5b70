import type { GraphQLParams, Plugin } from 'graphql-yoga';

export interface HttpHygieneOptions {
  graphqlEndpoint: string;
}

/** What a GraphQL POST may be sent as: JSON only, which a browser cannot send cross-site without a preflight. */
const GRAPHQL_POST_TYPES = ['application/json', 'application/graphql-response+json'];

/**
 * Headers and request kinds that keep browsers from being turned against the API:
 * - a GraphQL POST must say `application/json` (or `application/graphql-response+json`): forms
 *   (`application/x-www-form-urlencoded`, `multipart/form-data`) and `text/plain` — what a page on
 *   another site can send without a CORS preflight — are 415, as @graphql-yoga/plugin-csrf-prevention
 *   reasons (a mutation over GET is refused by yoga itself, 405);
 * - `X-Content-Type-Options: nosniff` on every response.
 * CORS is yoga's, configured from `CORS_ORIGINS` in src/yoga.ts.
 */
export function useHttpHygiene({ graphqlEndpoint }: HttpHygieneOptions): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (request.method !== 'POST' || url.pathname !== graphqlEndpoint) return;
      const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (GRAPHQL_POST_TYPES.includes(type)) return;
      endResponse(
        Response.json(
          {
            errors: [
              {
                message: `A GraphQL POST must be sent as Content-Type: ${GRAPHQL_POST_TYPES.join(' or ')}`,
                extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
              },
            ],
          },
          { status: 415, headers: { accept: GRAPHQL_POST_TYPES.join(', ') } },
        ),
      );
    },
    // Yoga parses only `application/json` bodies; the GraphQL-over-HTTP media type is the same JSON.
    // (yoga's body-size cap wraps whichever parser is chosen.)
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      if (type === 'application/graphql-response+json')
        setRequestParser(async (req) => (await req.json()) as GraphQLParams);
    },
    onResponse({ response }) {
      response.headers.set('x-content-type-options', 'nosniff');
    },
  };
}
