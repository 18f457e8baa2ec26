// The transport choice of the event stream: WebSocket when the browser has it (frames validated,
// reconnects resuming with ?last_event_id=), SSE when it has not, and a fall back to SSE from the
// last event seen when the WebSocket cannot be opened at all.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Event } from './generated/schemas';
import { openEventStream, wsUrl, type Transport } from './events';

function event(id: number, type = 'JobProgressed'): Event {
  return { id, type: type as Event['type'], job_id: 'j_1', at: '2026-11-24T19:00:00Z', data: { progress: id / 10 } };
}

/** A WebSocket the test drives: open, frames, drops. */
class FakeSocket {
  static made: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  closedWith: number | undefined;
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  close(code?: number) {
    this.closedWith = code ?? 1005;
  }
  open() {
    this.onopen?.();
  }
  frame(e: Event | string) {
    this.onmessage?.({ data: typeof e === 'string' ? e : JSON.stringify(e) });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
}
const Fake = FakeSocket as unknown as typeof WebSocket;
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

let server: Server | undefined;
afterEach(async () => {
  FakeSocket.made = [];
  vi.unstubAllGlobals();
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

describe('wsUrl', () => {
  it('turns the base URL into ws:// or wss:// with the filter and the resume point', () => {
    expect(wsUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/v1/events/ws');
    expect(wsUrl('https://clips.example', 'j 1', '41')).toBe(
      'wss://clips.example/v1/events/ws?job_id=j%201&last_event_id=41',
    );
  });

  it('carries the API key as ?access_token= (a WebSocket cannot send headers)', () => {
    const s = openEventStream({
      baseUrl: 'http://127.0.0.1:9', WebSocket: Fake, headers: { Authorization: 'Bearer cfk_a_b+c' }, onEvent: () => {},
    });
    expect(FakeSocket.made[0].url).toBe('ws://127.0.0.1:9/v1/events/ws?access_token=cfk_a_b%2Bc');
    s.close();
  });
});

describe('openEventStream', () => {
  it('uses WebSocket when it can and resumes after the last event seen', async () => {
    const got: number[] = [];
    const invalid: string[] = [];
    const s = openEventStream({
      baseUrl: 'http://127.0.0.1:9', WebSocket: Fake, backoffMs: [5],
      onEvent: (e) => got.push(e.id), onInvalid: (m) => invalid.push(m),
    });
    expect(s.transport).toBe('websocket');
    expect(FakeSocket.made[0].url).toBe('ws://127.0.0.1:9/v1/events/ws');
    FakeSocket.made[0].open();
    FakeSocket.made[0].frame(event(1));
    FakeSocket.made[0].frame(event(2));
    FakeSocket.made[0].frame('{not json');
    FakeSocket.made[0].frame(JSON.stringify({ id: 3, type: 'Nope' }));
    FakeSocket.made[0].drop();
    await tick();
    expect(FakeSocket.made).toHaveLength(2);
    expect(FakeSocket.made[1].url).toBe('ws://127.0.0.1:9/v1/events/ws?last_event_id=3');
    // a later failure to open retries WebSocket: it has worked, so it is not given up
    FakeSocket.made[1].drop();
    await tick();
    expect(FakeSocket.made).toHaveLength(3);
    expect(s.transport).toBe('websocket');
    FakeSocket.made[2].open();
    FakeSocket.made[2].frame(event(4, 'JobCompleted'));
    expect(got).toEqual([1, 2, 4]);
    expect(invalid).toHaveLength(2);
    expect(s.lastEventId).toBe('4');
    s.close();
    expect(FakeSocket.made[2].closedWith).toBe(1000);
  });

  it('falls back to SSE from the last event id when the WebSocket never opens', async () => {
    const lastIds: (string | undefined)[] = [];
    server = createServer((req, res) => {
      lastIds.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(`id: 8\nevent: JobCompleted\ndata: ${JSON.stringify(event(8, 'JobCompleted'))}\n\n`);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const transports: Transport[] = [];
    const s = openEventStream({
      baseUrl: `http://127.0.0.1:${port}`, lastEventId: '7', WebSocket: Fake,
      onTransport: (t) => transports.push(t), onEvent: () => {},
    });
    FakeSocket.made[0].drop(1006); // the upgrade was refused
    const got = await new Promise<number>((resolve) => {
      const poll = setInterval(() => {
        if (s.lastEventId === '8') {
          clearInterval(poll);
          resolve(8);
        }
      }, 10);
    });
    s.close();
    expect(got).toBe(8);
    expect(transports).toEqual(['websocket', 'sse']);
    expect(s.transport).toBe('sse');
    expect(lastIds).toEqual(['7']);
  });

  it('uses SSE where there is no WebSocket', () => {
    vi.stubGlobal('WebSocket', undefined);
    const s = openEventStream({ baseUrl: 'http://127.0.0.1:9', backoffMs: [60_000], onEvent: () => {} });
    expect(s.transport).toBe('sse');
    s.close();
  });
});
