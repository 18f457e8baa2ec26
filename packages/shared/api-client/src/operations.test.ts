// The generated operations against the document they came from, and the typed calls made of them
// (the @ts-expect-error lines are checked by `tsc`, which `npm test` runs first).
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, operationUrl } from './client';
import { operations, type OperationId } from './generated/operations';
import { MediaSchema, schemas } from './generated/schemas';

const doc = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  components: { schemas: Record<string, unknown> };
};

describe('generated operations', () => {
  it('has one operation for each path and method of the document, with its parameters', () => {
    const fromDoc = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(Object.keys(operations).sort()).toEqual(fromDoc.sort());
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        const ours = operations[`${method.toUpperCase()} ${path}` as OperationId];
        const names = (where: string) => (op.parameters ?? []).filter((p) => p.in === where).map((p) => p.name);
        expect([...ours.pathParams]).toEqual(names('path'));
        expect([...ours.query]).toEqual(names('query'));
        expect([...ours.headers]).toEqual(names('header'));
      }
  });

  it('has a validator for every component schema', () => {
    expect(Object.keys(schemas).sort()).toEqual(Object.keys(doc.components.schemas).sort());
  });

  it('knows the bodies and the event streams', () => {
    expect(operations['GET /v1/media/{media_id}'].response).toBe(MediaSchema);
    expect(operations['POST /v1/media'].request).toBe('binary');
    expect(operations['GET /v1/events'].stream).toBe('sse');
    expect(operations['GET /v1/events/ws'].stream).toBe('websocket');
    expect(operations['GET /v1/events/ws'].frames).toBe(schemas.Event);
    expect(operations['GET /healthz'].public).toBe(true);
  });
});

describe('operationUrl', () => {
  it('fills in path parameters and the defined query parameters, encoded', () => {
    expect(operationUrl('GET /v1/media/{media_id}/camera-path', {
      params: { media_id: 'm 1/2' }, query: { start_ms: 0, end_ms: 1500, width: undefined },
    })).toBe('/v1/media/m%201%2F2/camera-path?start_ms=0&end_ms=1500');
    expect(operationUrl('GET /v1/jobs', { query: { status: 'a b+c' } })).toBe('/v1/jobs?status=a%20b%2Bc');
    expect(operationUrl('GET /v1/jobs', {})).toBe('/v1/jobs');
  });

  it('refuses a call without a path parameter', () => {
    expect(() => operationUrl('GET /v1/jobs/{job_id}', { params: {} as { job_id: string } })).toThrow(/no value for \{job_id\}/);
  });

  it('is typed by the document', () => {
    // @ts-expect-error: no such operation
    expect(() => operationUrl('GET /v1/nothing', {})).toThrow();
    // @ts-expect-error: the path parameter is required
    expect(() => operationUrl('GET /v1/jobs/{job_id}', {})).toThrow();
    // @ts-expect-error: a query parameter the operation does not have
    expect(operationUrl('GET /v1/jobs', { query: { colour: 'red' } })).toBe('/v1/jobs?colour=red');
  });
});

describe('ApiClient.call', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => server?.close(r));
  });

  it('sends the operation and returns its validated, typed response', async () => {
    const seen: string[] = [];
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id: 'm_1', uri: 'media://m_1', bytes: 10, created_at: '2026-12-01T10:00:00Z', filename: 'a.mp4' }));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const client = new ApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const media = await client.call('GET /v1/media/{media_id}', { params: { media_id: 'm_1' } });
    const name: string | undefined = media.filename; // typed as Media
    expect(name).toBe('a.mp4');
    expect(seen).toEqual(['GET /v1/media/m_1']);
    // @ts-expect-error: the body of POST /v1/labels is a LabelCreate
    void client.call('POST /v1/labels', { body: { verdict: 42 } }).catch(() => undefined);
  });
});
