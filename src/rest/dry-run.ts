import type { QueryParamSpec, RouteRequest, RouteResponse } from './route.js';

/**
 * `?dry_run=true` on every REST write: the route's mutation runs with `dryRun: true` (checked
 * exactly as the write, then rolled back), and the answer is the documented body plus
 * `"dry_run": true`, without an ETag (no version was made). Any value other than true/false
 * goes on as it is and GraphQL refuses it as a Boolean (400/422 naming dry_run): a typo never
 * turns a dry run into a real write.
 */
export const DRY_RUN_QUERY: Record<string, QueryParamSpec> = {
  dry_run: {
    type: 'string',
    variable: 'dryRun',
    description: 'true: validate and answer what the write would answer, but write nothing (no audit, no version).',
  },
};

export function dryRunOf(req: RouteRequest): { dryRun: boolean | string | undefined } {
  const raw = req.query.dry_run;
  return { dryRun: raw === 'true' ? true : raw === 'false' ? false : raw === undefined ? undefined : String(raw) };
}

export function withDryRun(out: RouteResponse, req: RouteRequest): RouteResponse {
  if (req.query.dry_run !== 'true') return out;
  return { ...out, body: { ...(out.body as Record<string, unknown>), dry_run: true }, version: undefined };
}
