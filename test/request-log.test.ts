import { Writable } from 'node:stream';
import { type LoggerOptions, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../src/auth/principal.js';
import { notePrincipal, requestInfo } from '../src/http/request-info.js';
import { useRequestLog } from '../src/plugins/use-request-log.js';

/** A pino logger writing into `lines`, with pino's default bindings (pid, hostname) unless `base` says otherwise. */
function capturingLogger(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: pino(options, sink), lines };
}

/** The times and durations of two lines differ by when they were written: both made equal. */
const timeless = (line: string) =>
  line.replace(/"time":\d+/, '"time":0').replace(/"durationMs":[\d.e-]+/, '"durationMs":0');

/**
 * The request log writes its line itself (src/plugins/use-request-log.ts) instead of through
 * pino's `info`: the text must be the one pino writes for the same fields, with the logger's own
 * bindings, in the same order.
 */
describe('the request log line', () => {
  const principals: (Principal | undefined)[] = [
    { kind: 'tenant', tenantId: 't-1', keyId: 'k-1', role: 'VIEWER' },
    { kind: 'platform' },
    { kind: 'anonymous', reason: 'invalid' },
    undefined,
  ];
  for (const options of [{}, { base: undefined }] as LoggerOptions[])
    for (const principal of principals)
      it(`is pino's own line (${options.base === undefined && 'base' in options ? 'no bindings' : 'pid and hostname'}, ${principal?.kind ?? 'no principal'})`, async () => {
        const ours = capturingLogger(options);
        const pinos = capturingLogger(options);
        const plugin = useRequestLog(ours.logger);
        const request = new Request('http://localhost/tenant/settings', { headers: { 'x-request-id': 'client-1' } });
        const info = requestInfo(request);
        // What the REST layer logs as the path: characters JSON escapes, and others it need not.
        info.logPath = '/tenant/"odd\\path\u0001é\u2028';
        if (principal) notePrincipal(request, principal);
        info.operationName = 'Quoted"Name';
        const response = { status: 201, headers: new Headers() };
        await plugin.onResponse?.({
          request,
          response,
          serverContext: {},
          setResponse: () => {},
          fetchAPI: {},
        } as never);

        const { principal: principalFields } = {
          principal: !principal
            ? null
            : principal.kind === 'tenant'
              ? { tenantId: principal.tenantId, keyId: principal.keyId, role: principal.role }
              : principal.kind === 'platform'
                ? { platformAdmin: true }
                : { anonymous: (principal as { reason: string }).reason },
        };
        pinos.logger.child({ principal: principalFields }).info({
          requestId: info.id,
          clientRequestId: 'client-1',
          method: 'GET',
          path: '/tenant/"odd\\path\u0001é\u2028',
          operation: 'Quoted"Name',
          status: 201,
          durationMs: 1.5,
        });
        expect(ours.lines).toHaveLength(1);
        expect(timeless(ours.lines[0])).toBe(timeless(pinos.lines[0]));
        expect(response.headers.get('x-request-id')).toBe(info.id);
      });

  it('hands an asynchronous destination the lines of one turn of the event loop in one write, after the turn', async () => {
    // What pino.destination({ sync: false }) is to the request log: a stream that writes later.
    const writes: string[] = [];
    const destination = { sync: false, write: (text: string) => void writes.push(text) };
    const logger = pino({ base: undefined }, destination);
    const plugin = useRequestLog(logger);
    const requests = ['/a', '/b', '/c'].map((path) => new Request(`http://localhost${path}`));
    for (const request of requests)
      await plugin.onResponse?.({ request, response: { status: 200, headers: new Headers() } } as never);
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    expect(
      writes[0]
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line).path),
    ).toEqual(['/a', '/b', '/c']);
    // A line still pending when the app is disposed is written then.
    await plugin.onResponse?.({ request: requests[0], response: { status: 200, headers: new Headers() } } as never);
    await plugin.onDispose?.();
    expect(writes).toHaveLength(2);
  });

  it('writes nothing when the level is above info', async () => {
    const { logger, lines } = capturingLogger({ level: 'warn' });
    const request = new Request('http://localhost/tenant/settings');
    const response = { status: 200, headers: new Headers() };
    await useRequestLog(logger).onResponse?.({ request, response } as never);
    expect(lines).toEqual([]);
    expect(response.headers.get('x-request-id')).toBe(requestInfo(request).id);
  });
});
