import type { Metric } from 'prom-client';
import { metricsRegistry } from './registry.js';

/** The request's labels: method, route (pattern or fixed path), GraphQL operation. */
interface RequestLabels {
  method: string;
  route: string;
  operation: string;
}

/** One label set's counts: requests by status, and the duration histogram (per bucket, not cumulative). */
interface Series {
  labels: RequestLabels;
  byStatus: Map<number, number>;
  /** One count per bound of DURATION_BUCKETS, then the count above the last (+Inf). */
  buckets: number[];
  sum: number;
  count: number;
}

/** Seconds; as prom-client's histogram would be declared with. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const REQUESTS = 'gateway_http_requests_total';
const DURATION = 'gateway_http_request_duration_seconds';

/** method → route → operation → series: a few map lookups of strings the request already holds. */
const seriesByLabels = new Map<string, Map<string, Map<string, Series>>>();

function seriesOf(method: string, route: string, operation: string): Series {
  let byRoute = seriesByLabels.get(method);
  if (!byRoute) seriesByLabels.set(method, (byRoute = new Map()));
  let byOperation = byRoute.get(route);
  if (!byOperation) byRoute.set(route, (byOperation = new Map()));
  let series = byOperation.get(operation);
  if (!series) {
    series = {
      labels: { method, route, operation },
      byStatus: new Map(),
      buckets: new Array(DURATION_BUCKETS.length + 1).fill(0),
      sum: 0,
      count: 0,
    };
    byOperation.set(operation, series);
  }
  return series;
}

/**
 * Counts one answered request: `gateway_http_requests_total{method,route,operation,status}` and
 * `gateway_http_request_duration_seconds{method,route,operation}`. Counted here, in plain maps,
 * and read by the registry at scrape time, rather than through prom-client's Counter and
 * Histogram: those build, intern and look up a label-hash string and enumerate and validate the
 * labels on every call: ~9 µs of a cached read's ~120 µs in the server (perf); counting here
 * raised a cached REST read's requests/s by 19 % in an interleaved A/B run.
 */
export function countRequest(method: string, route: string, operation: string, status: number, seconds: number): void {
  const series = seriesOf(method, route, operation);
  series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
  let bucket = 0;
  while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]) bucket++;
  series.buckets[bucket]++;
  series.sum += seconds;
  series.count++;
}

function* allSeries(): Generator<Series> {
  for (const byRoute of seriesByLabels.values())
    for (const byOperation of byRoute.values()) yield* byOperation.values();
}

/** What the registry reads of a metric: the shape prom-client's own metrics give from `get()`. */
interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: { metricName?: string; labels: Record<string, string | number>; value: number }[];
}

/** A metric the registry serves from these counts (`get`), and zeroes with the others (`reset`). */
function register(name: string, help: string, type: MetricSnapshot['type'], values: () => MetricSnapshot['values']) {
  if (metricsRegistry.getSingleMetric(name)) return;
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async (): Promise<MetricSnapshot> => ({ name, help, type, aggregator: 'sum', values: values() }),
    reset: () => seriesByLabels.clear(),
  };
  metricsRegistry.registerMetric(metric as unknown as Metric);
}

register(
  REQUESTS,
  'HTTP requests by route (REST route pattern, or a fixed path such as /graphql), GraphQL operation and status',
  'counter',
  () =>
    [...allSeries()].flatMap((series) =>
      [...series.byStatus].map(([status, value]) => ({ labels: { ...series.labels, status: String(status) }, value })),
    ),
);

register(DURATION, 'Time from the request arriving to its response, by route and GraphQL operation', 'histogram', () =>
  [...allSeries()].flatMap((series) => {
    let cumulative = 0;
    return [
      ...series.buckets.map((count, i) => {
        cumulative += count;
        const le = i < DURATION_BUCKETS.length ? DURATION_BUCKETS[i] : '+Inf';
        return { metricName: `${DURATION}_bucket`, labels: { le, ...series.labels }, value: cumulative };
      }),
      { metricName: `${DURATION}_sum`, labels: { ...series.labels }, value: series.sum },
      { metricName: `${DURATION}_count`, labels: { ...series.labels }, value: series.count },
    ];
  }),
);
