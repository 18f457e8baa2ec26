// The SSE parser on awkward chunking, and the event stream against a real server that drops the
// connection: the client must come back with Last-Event-ID and miss nothing.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Event } from './generated/schemas';
import { EventStream, SseParser } from './sse';

describe('SseParser', () => {
  it('splits messages on blank lines whatever the chunking and line endings', () => {
    const text = 'id: 1\r\nevent: JobProgressed\r\ndata: {"a":1}\r\n\r\n: heartbeat\n\nid: 2\ndata: x\ndata: y\n\n';
    for (let size = 1; size <= text.length; size++) {
      const p = new SseParser();
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...p.feed(text.slice(i, i + size)));
      expect(out).toEqual([
        { id: '1', event: 'JobProgressed', data: '{"a":1}' },
        { id: '2', event: 'message', data: 'x\ny' },
      ]);
    }
  });

  it('keeps the last id for messages without one and reads retry', () => {
    const p = new SseParser();
    const out = p.feed('retry: 250\nid: 7\ndata: a\n\ndata: b\n\n');
    expect(out.map((m) => m.id)).toEqual(['7', '7']);
    expect(p.retryMs).toBe(250);
  });
});

function event(id: number, type = 'JobProgressed'): Event {
  return { id, type: type as Event['type'], job_id: 'j_1', at: '2026-11-24T19:00:00Z', data: { progress: id / 10 } };
}

function write(res: ServerResponse, e: Event | string) {
  if (typeof e === 'string') res.write(e);
  else res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

describe('EventStream', () => {
  it('reconnects after a drop and resumes after the last event it saw', async () => {
    const lastIds: (string | undefined)[] = [];
    let connection = 0;
    server = createServer((req, res) => {
      lastIds.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      connection++;
      if (connection === 1) {
        write(res, event(1));
        write(res, event(2));
        res.end(); // the server goes away mid-job
      } else if (connection === 2) {
        res.statusCode = 503; // still restarting: must retry again, not give up
        res.end();
      } else {
        write(res, ': heartbeat\n\n');
        write(res, event(3));
        write(res, 'id: 4\ndata: {not json\n\n');
        write(res, event(5, 'JobCompleted'));
      }
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const got: number[] = [];
    const invalid: string[] = [];
    const states: string[] = [];
    await new Promise<void>((resolve) => {
      const s = new EventStream({
        baseUrl: `http://127.0.0.1:${port}`,
        backoffMs: [20],
        onEvent: (e) => {
          got.push(e.id);
          if (e.type === 'JobCompleted') {
            s.close();
            resolve();
          }
        },
        onInvalid: (m) => invalid.push(m),
        onState: (st) => states.push(st),
      });
    });
    expect(got).toEqual([1, 2, 3, 5]);
    expect(lastIds[0]).toBeUndefined();
    expect(lastIds[1]).toBe('2');
    expect(lastIds[2]).toBe('2');
    expect(invalid).toEqual(['event 4: data is not JSON']);
    expect(states).toContain('reconnecting');
    expect(states.at(-1)).toBe('closed');
  });

  it('filters by job and starts from a given event id', async () => {
    let seenUrl = '';
    let seenLast: string | undefined;
    server = createServer((req, res) => {
      seenUrl = req.url ?? '';
      seenLast = req.headers['last-event-id'] as string | undefined;
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      write(res, event(42, 'JobCompleted'));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => {
      const s = new EventStream({
        baseUrl: `http://127.0.0.1:${port}`, jobId: 'j 1', lastEventId: '41',
        onEvent: () => { s.close(); resolve(); },
      });
    });
    expect(seenUrl).toBe('/v1/events?job_id=j%201');
    expect(seenLast).toBe('41');
  });
});
