import {
  Counter,
  type CounterConfiguration,
  collectDefaultMetrics,
  Gauge,
  type GaugeConfiguration,
  Histogram,
  type HistogramConfiguration,
  Registry,
} from 'prom-client';

/**
 * The process's one metrics registry, served by `GET /metrics` (src/plugins/use-metrics.ts).
 *
 * The seam for other modules: declare a metric at module level with `counter`, `gauge` or
 * `histogram` below and update it where the thing happens; `/metrics` shows it with no change
 * to the plugin. Names start with `gateway_`. Label values must come from a closed set declared in
 * code (a route pattern, a policy name, an outcome): never a tenant id, key, token or raw path.
 *
 *   // src/services/read-cache.ts
 *   const lookups = counter({ name: 'gateway_read_cache_lookups_total', help: '…', labelNames: ['cache', 'result'] });
 *   lookups.inc({ cache: 'principal', result: 'hit' });
 *
 * Declaring is idempotent (a second declaration of a name returns the first metric), so a module
 * loaded twice, or tests building several apps in one process, do not collide.
 */
export const metricsRegistry = new Registry();

// Node's own: CPU, memory, event-loop lag, handles, GC (prefixed `gateway_process_…` / `gateway_nodejs_…`).
collectDefaultMetrics({ register: metricsRegistry, prefix: 'gateway_' });

export function counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
  return (
    (metricsRegistry.getSingleMetric(config.name) as Counter<L> | undefined) ??
    new Counter({ ...config, registers: [metricsRegistry] })
  );
}

export function gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
  return (
    (metricsRegistry.getSingleMetric(config.name) as Gauge<L> | undefined) ??
    new Gauge({ ...config, registers: [metricsRegistry] })
  );
}

export function histogram<L extends string>(config: Omit<HistogramConfiguration<L>, 'registers'>): Histogram<L> {
  return (
    (metricsRegistry.getSingleMetric(config.name) as Histogram<L> | undefined) ??
    new Histogram({ ...config, registers: [metricsRegistry] })
  );
}
