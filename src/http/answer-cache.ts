import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Principal } from '../auth/principal.js';
import type { RateLimitCharger } from '../plugins/use-rate-limit.js';
import { readsOnlyCachedData } from '../schema/cached-data.js';
import type { ReadCache } from '../services/read-cache.js';
import type { Answer } from './answer.js';
import { apiKeyFromRequest } from './api-key-from-request.js';
import { clientAddressOf } from './client-address.js';
import type { RequestHead } from './request-head.js';
import { notePrincipal, requestInfo } from './request-info.js';

export interface AnswerCacheOptions {
  readCache: ReadCache;
  schema: GraphQLSchema;
  /** The caller of a key, as the context factory resolves it (the cached principal, the last-used stamp). */
  callerOf: (apiKey: string | undefined) => Principal | Promise<Principal>;
  /** The rate limits (absent when they are off). */
  rateLimits?: RateLimitCharger;
}

/** What is kept of an answer: the answer itself, and what a hit must still do as its execution would. */
interface KeptAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** Null for a 304 (kept when the request key holds what made it one: OFREP's If-None-Match). */
  body: string | null;
  /** Charged again on every hit, as its execution would be. */
  document: DocumentNode;
  operationName: string | undefined;
  /** The request log's and the metrics' names of the operation. */
  loggedName: string | undefined;
  operationLabel: string | undefined;
}

/** A lookup that found nothing: run the request the whole way, then `keep` its answer; `done` in any case. */
export interface AnswerMiss {
  kind: 'miss';
  keep(answer: Answer, document: DocumentNode | undefined, operationName: string | null | undefined): void;
  done(): void;
}

export type AnswerLookup = { kind: 'hit'; answer: Answer } | AnswerMiss;

export interface AnswerCache {
  /**
   * The kept answer to this request of its caller, its rate limits already charged; or a miss to
   * fill; or undefined: run the request the whole way and keep nothing (no tenant key, the cache
   * not serving, or the limits refused, which the execution then answers). `requestKey` names
   * everything of the request the answer depends on besides the caller (route or query text,
   * variables, media type).
   * Synchronous when nothing on the way waits (a cached caller, a kept answer, rate limits
   * counted in process): a hit then costs no await.
   */
  lookup(
    request: RequestHead,
    serverContext: object,
    requestKey: string,
  ): AnswerLookup | undefined | Promise<AnswerLookup | undefined>;
}

/**
 * The longest request key kept (query text, variables, body): a read sent with a large text
 * (unused variables are allowed) is answered, but not kept, so one caller cannot fill the LRU
 * with a few answers and push every other tenant's out.
 */
const MAX_KEY_CHARS = 16_384;

/** Bytes a kept answer holds beyond its body and key (headers, the entry, the index). */
const ENTRY_OVERHEAD_BYTES = 600;

/** What the LRU counts for a kept answer: body and key as two-byte text (they are mostly one-byte), and the rest. */
export function keptAnswerBytes(body: string, key: string): number {
  return 2 * (body.length + key.length) + ENTRY_OVERHEAD_BYTES;
}

/**
 * Whole answers to reads, kept per key and served again without running the pipeline's parse,
 * context and execution: the fast path of the reads services make on every request. What makes
 * that exact:
 * - only queries that select nothing but the caller and its tenant's cached data are kept
 *   (schema/cached-data.ts), only successful ones, only for tenant keys; their answer is the same
 *   until the tenant changes, and the read cache drops a tenant's answers with its rows when the
 *   change feed announces a change (after commit), or everything when the feed is not live;
 * - an answer is stored with the ticket taken before its caller was resolved and its data read,
 *   so one that read data older than a drop is never stored (services/read-cache.ts);
 * - a hit resolves the caller exactly as the context factory does (a revoked key is refused on
 *   its next request: it misses, and the whole way refuses it), and charges the rate limits for
 *   the operation as its execution would; the request log and metrics name the operation.
 * What a hit skips is what its first run already passed for this same request: the document's
 * parse and validation, the operation limits on it and its variables, and the execution.
 */
export function createAnswerCache({ readCache, schema, callerOf, rateLimits }: AnswerCacheOptions): AnswerCache {
  return {
    lookup(request, serverContext, requestKey) {
      if (!readCache.serving) return undefined;
      const ticket = readCache.begin();
      let ended = false;
      const done = () => {
        if (ended) return;
        ended = true;
        readCache.end();
      };
      // The whole way resolves the caller again and answers its failure (a lost database: 503).
      const failed = () => void done();

      const withCaller = (principal: Principal): AnswerLookup | undefined | Promise<AnswerLookup | undefined> => {
        if (principal.kind !== 'tenant') return void done();
        const key = `${principal.keyId}\0${requestKey}`;
        const kept = readCache.answer(key)?.value as KeptAnswer | undefined;
        if (!kept)
          return {
            kind: 'miss',
            keep(answer, document, operationName) {
              const whole = answer.status === 200 && typeof answer.body === 'string';
              if (!(whole || (answer.status === 304 && answer.body === null)) || !document) return;
              if (key.length > MAX_KEY_CHARS) return;
              if (!readsOnlyCachedData(schema, document, operationName)) return;
              const info = requestInfo(request);
              const value: KeptAnswer = {
                status: answer.status,
                headers: { ...answer.headers },
                body: answer.body as string | null,
                document,
                operationName: operationName ?? undefined,
                loggedName: info.operationName,
                operationLabel: info.operationLabel,
              };
              readCache.storeAnswer(ticket, principal.tenantId, key, {
                value,
                bytes: keptAnswerBytes(value.body ?? '', key),
              });
            },
            done,
          };
        done();
        notePrincipal(request, principal);
        const info = requestInfo(request);
        info.operationName = kept.loggedName;
        info.operationLabel = kept.operationLabel;
        // Object.assign, not a spread: V8 (Node 20) makes each header added later to a spread
        // copy a slow property store (~3 µs for the three the response hooks add; ~0.1 µs so).
        const hit = (allowed: boolean): AnswerLookup | undefined =>
          allowed
            ? {
                kind: 'hit',
                answer: { status: kept.status, headers: Object.assign({}, kept.headers), body: kept.body },
              }
            : undefined;
        if (!rateLimits) return hit(true);
        const caller = { principal, clientAddress: clientAddressOf(serverContext) };
        const allowed = rateLimits.chargeAhead(request, schema, kept.document, kept.operationName, caller);
        return allowed instanceof Promise ? allowed.then(hit, failed) : hit(allowed);
      };

      try {
        const principal = callerOf(apiKeyFromRequest(request));
        return principal instanceof Promise ? principal.then(withCaller).catch(failed) : withCaller(principal);
      } catch {
        return failed();
      }
    },
  };
}
