import { describe, expect, it } from 'vitest';
import { metricsRegistry } from '../src/metrics/registry.js';
import { countRequest } from '../src/metrics/request-metrics.js';

// The request counts and durations are counted outside prom-client (src/metrics/request-metrics.ts)
// and served through its registry: the text must be what a prom-client Counter and Histogram
// with the same names, labels and buckets would print.
const lines = async (name: string, method: string) =>
  (await metricsRegistry.getSingleMetricAsString(name)).split('\n').filter((l) => l.includes(`method="${method}"`));

describe('request metrics', () => {
  it('counts requests by method, route, operation and status', async () => {
    countRequest('TESTCOUNT', 'GET /a/:id', 'query:me', 200, 0.002);
    countRequest('TESTCOUNT', 'GET /a/:id', 'query:me', 200, 0.003);
    countRequest('TESTCOUNT', 'GET /a/:id', 'query:me', 404, 0.001);
    countRequest('TESTCOUNT', 'unmatched', '', 404, 0.001);
    expect(await lines('gateway_http_requests_total', 'TESTCOUNT')).toEqual([
      'gateway_http_requests_total{method="TESTCOUNT",route="GET /a/:id",operation="query:me",status="200"} 2',
      'gateway_http_requests_total{method="TESTCOUNT",route="GET /a/:id",operation="query:me",status="404"} 1',
      'gateway_http_requests_total{method="TESTCOUNT",route="unmatched",operation="",status="404"} 1',
    ]);
  });

  it('puts each duration in the first bucket at or above it, cumulatively, with sum and count', async () => {
    // 0.001 is on a bound (le is "less than or equal"); 0.004 falls between 0.0025 and 0.005; 20 s is above every bound.
    for (const seconds of [0.001, 0.004, 0.004, 20]) countRequest('TESTTIME', '/graphql', 'query:me', 200, seconds);
    const labels = 'method="TESTTIME",route="/graphql",operation="query:me"';
    const text = await lines('gateway_http_request_duration_seconds', 'TESTTIME');
    const bucket = (le: string) =>
      text.find((l) => l.startsWith(`gateway_http_request_duration_seconds_bucket{le="${le}",`));
    expect(bucket('0.001')).toBe(`gateway_http_request_duration_seconds_bucket{le="0.001",${labels}} 1`);
    expect(bucket('0.0025')).toMatch(/} 1$/);
    expect(bucket('0.005')).toMatch(/} 3$/);
    expect(bucket('10')).toMatch(/} 3$/);
    expect(bucket('+Inf')).toMatch(/} 4$/);
    expect(text).toContain(`gateway_http_request_duration_seconds_sum{${labels}} 20.009`);
    expect(text).toContain(`gateway_http_request_duration_seconds_count{${labels}} 4`);
    expect(text.filter((l) => l.includes('_bucket{'))).toHaveLength(14);
  });
});
