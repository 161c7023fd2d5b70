import { readCacheStats } from '../services/read-cache.js';
import { counter, gauge } from './registry.js';

/**
 * The read cache's counters (services/read-cache.ts), read when `/metrics` is scraped: the cache
 * keeps its own totals, so nothing is counted twice on the hot path.
 */
counter({
  name: 'gateway_read_cache_lookups_total',
  help: 'Read-cache lookups (key principals, tenant rows, setting and flag rows) by result',
  labelNames: ['result'],
  collect() {
    const stats = readCacheStats();
    this.reset();
    this.inc({ result: 'hit' }, stats.hits);
    this.inc({ result: 'miss' }, stats.misses);
  },
});

counter({
  name: 'gateway_answer_cache_lookups_total',
  help: 'Lookups of whole answers of reads kept per key (served without executing them again), by result',
  labelNames: ['result'],
  collect() {
    const stats = readCacheStats();
    this.reset();
    this.inc({ result: 'hit' }, stats.answerHits);
    this.inc({ result: 'miss' }, stats.answerMisses);
  },
});

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
