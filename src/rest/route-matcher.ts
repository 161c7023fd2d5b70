import type { HttpMethod, Route } from './route.js';

/** A path pattern split into segments; `:name` segments capture. */
interface CompiledPattern {
  path: string;
  segments: { literal?: string; param?: string }[];
  /** Higher = more specific: static segments win over params, position by position. */
  specificity: string;
  routes: Route[];
}

export type MatchResult =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  /** The path is known but not for this method: 405 with `Allow`. */
  | { kind: 'method-not-allowed'; allow: HttpMethod[] }
  /** A known pattern matched but a parameter cannot be valid (undecodable): 404. */
  | { kind: 'none' };

/** A request the table has a route for, with the route's parameters. */
export type RouteMatch = Extract<MatchResult, { kind: 'route' }>;

function compile(path: string): Omit<CompiledPattern, 'routes'> {
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
  return { path, segments, specificity: segments.map((s) => (s.literal ? '1' : '0')).join('') };
}

/**
 * Matches requests against the route table. Among patterns that fit a path the most specific
 * wins (so `/api/admin/settings/feature-flags` is never read as the category `feature-flags`);
 * a method the winning pattern lacks is a 405, never a fall-through to a less specific pattern.
 */
export class RouteMatcher {
  private readonly patterns: CompiledPattern[];
  /**
   * The patterns without parameters by their exact path: such a pattern is the most specific
   * one a path of its segments can fit, so a path equal to it matches it without the walk.
   */
  private readonly staticPatterns = new Map<string, CompiledPattern>();

  constructor(routes: readonly Route[]) {
    const byPath = new Map<string, CompiledPattern>();
    for (const route of routes) {
      const existing = byPath.get(route.path);
      if (existing) {
        if (existing.routes.some((r) => r.method === route.method))
          throw new Error(`Duplicate route ${route.method} ${route.path}`);
        existing.routes.push(route);
      } else {
        byPath.set(route.path, { ...compile(route.path), routes: [route] });
      }
    }
    this.patterns = [...byPath.values()].sort((a, b) =>
      a.specificity < b.specificity ? 1 : a.specificity > b.specificity ? -1 : 0,
    );
    for (const pattern of this.patterns)
      if (pattern.segments.every((s) => s.literal !== undefined)) this.staticPatterns.set(pattern.path, pattern);
  }

  match(method: string, pathname: string): MatchResult {
    const fixed = this.staticPatterns.get(pathname);
    if (fixed) return matchMethod(fixed, method, {});
    const parts = pathname.split('/').filter(Boolean);
    for (const pattern of this.patterns) {
      if (pattern.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let fits = true;
      for (let i = 0; i < parts.length && fits; i++) {
        const seg = pattern.segments[i];
        if (seg.literal !== undefined) {
          fits = seg.literal === parts[i];
        } else {
          try {
            params[seg.param!] = decodeURIComponent(parts[i]);
          } catch {
            return { kind: 'none' };
          }
        }
      }
      if (!fits) continue;
      return matchMethod(pattern, method, params);
    }
    return { kind: 'none' };
  }
}

/** The pattern's route for the method, or a 405 naming the methods it has. */
function matchMethod(pattern: CompiledPattern, method: string, params: Record<string, string>): MatchResult {
  const route = pattern.routes.find((r) => r.method === method);
  if (route) return { kind: 'route', route, params };
  return { kind: 'method-not-allowed', allow: pattern.routes.map((r) => r.method) };
}
