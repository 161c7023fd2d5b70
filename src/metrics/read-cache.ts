import { type ReadCacheStats, readCacheStats } from '../services/read-cache.js';
import { counter, gauge } from './registry.js';

/**
 * The read cache's counters (services/read-cache.ts), read when `/metrics` is scraped: the cache
 * keeps its own totals, so nothing is counted twice on the hot path.
 */
/** A counter of lookups by result (hit, miss), taken from the cache's totals at scrape time. */
function lookupsCounter(name: string, help: string, countsOf: (stats: ReadCacheStats) => [number, number]): void {
  counter({
    name,
    help,
    labelNames: ['result'],
    collect() {
      const [hits, misses] = countsOf(readCacheStats());
      this.reset();
      this.inc({ result: 'hit' }, hits);
      this.inc({ result: 'miss' }, misses);
    },
  });
}

lookupsCounter(
  'gateway_read_cache_lookups_total',
  'Read-cache lookups (key principals, tenant rows, setting and flag rows) by result',
  (stats) => [stats.hits, stats.misses],
);

lookupsCounter(
  'gateway_answer_cache_lookups_total',
  'Lookups of whole answers of reads kept per key (served without executing them again), by result',
  (stats) => [stats.answerHits, stats.answerMisses],
);

counter({
  name: 'gateway_read_cache_evictions_total',
  help: 'Read-cache entries evicted to stay within CACHE_MAX_MB',
  collect() {
    this.reset();
    this.inc(readCacheStats().evictions);
  },
});

gauge({
  name: 'gateway_read_cache_bytes',
  help: 'Estimated bytes held by the read cache, and its bound (CACHE_MAX_MB)',
  labelNames: ['kind'],
  collect() {
    const stats = readCacheStats();
    this.set({ kind: 'held' }, stats.bytes);
    this.set({ kind: 'max' }, stats.maxBytes);
  },
});

gauge({
  name: 'gateway_read_cache_entries',
  help: 'Entries held by the read cache',
  collect() {
    this.set(readCacheStats().entries);
  },
});
