// The client against a real HTTP server in the test process (node:http), speaking the API's
// wire format: success bodies are validated, problem documents become ApiErrors, contract
// violations become ContractErrors.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, ContractError, jobKindsFromOpenApi } from './client';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let handler: Handler;
let client: ApiClient;
const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

const job = {
  id: 'j_1',
  kind: 'highlight_detection',
  status: 'running',
  stage: 'features',
  progress: 0.25,
  attempts: 1,
  created_at: '2026-11-24T19:00:00Z',
  updated_at: '2026-11-24T19:00:01Z',
  request: { clip_id: 'c1', media_uri: 'media://m_1' },
};

beforeEach(async () => {
  seen.length = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  client = new ApiClient({ baseUrl: `http://127.0.0.1:${port}` });
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
});

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type });
  res.end(JSON.stringify(body));
}

describe('ApiClient', () => {
  it('lists flags by the generated Flag schema: on may be null, but not absent or a string', async () => {
    const flag = { name: 'exp.rollout', source: 'config', setting: '25%', subject: 'media', on: null };
    handler = (_req, _body, res) => json(res, 200, { items: [flag, { ...flag, name: 'b', on: false }] });
    const flags = await client.listFlags();
    expect(flags.map((f) => f.on)).toEqual([null, false]);
    expect(seen[0].url).toBe('/v1/flags');
    const { on: _absent, ...noOn } = flag;
    for (const bad of [noOn, { ...flag, on: 'null' }]) {
      handler = (_req, _body, res) => json(res, 200, { items: [bad] });
      await expect(client.listFlags()).rejects.toThrow(/items\.0\.on/);
    }
  });

  it('creates a job with its kind, request and idempotency key, and validates the reply', async () => {
    handler = (_req, _body, res) => json(res, 202, { ...job, status: 'queued', progress: 0 });
    const j = await client.createJob('highlight_detection', { clip_id: 'c1', media_uri: 'media://m_1' }, 'key-1');
    expect(j.status).toBe('queued');
    expect(seen[0].method).toBe('POST');
    expect(seen[0].url).toBe('/v1/jobs');
    expect(seen[0].headers['idempotency-key']).toBe('key-1');
    expect(JSON.parse(seen[0].body)).toEqual({ kind: 'highlight_detection', request: { clip_id: 'c1', media_uri: 'media://m_1' } });
  });

  it('applies schema defaults to what the server left out', async () => {
    const { progress: _p, attempts: _a, ...bare } = job;
    handler = (_req, _body, res) => json(res, 200, bare);
    const j = await client.getJob('j_1');
    expect(j.progress).toBe(0);
    expect(j.attempts).toBe(0);
  });

  it('turns a problem+json reply into an ApiError with title and detail', async () => {
    handler = (_req, _body, res) =>
      json(res, 422, { type: 'https://clipforge.dev/problems/validation', title: 'Invalid request', status: 422,
        detail: 'request.end_ms: must be > start_ms', errors: [{ field: 'request.end_ms', message: 'must be > start_ms' }] },
        'application/problem+json');
    const err = await client.createJob('clip_processing', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).message).toBe('Invalid request: request.end_ms: must be > start_ms');
    expect((err as ApiError).problem?.errors?.[0].field).toBe('request.end_ms');
  });

  it('reports an error without a problem body by its status', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502, 'Bad Gateway');
      res.end('<html>oops</html>');
    };
    const err = (await client.getJob('x').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(502);
    expect(err.problem).toBeUndefined();
    expect(err.message).toBe('HTTP 502 Bad Gateway');
  });

  it('rejects a reply that breaks the contract and names the field', async () => {
    handler = (_req, _body, res) => json(res, 200, { ...job, progress: 1.5 });
    const err = await client.getJob('j_1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as Error).message).toMatch(/^GET \/v1\/jobs\/j_1: progress: /);
  });

  it('rejects members the schema does not know', async () => {
    handler = (_req, _body, res) => json(res, 200, { ...job, surprise: true });
    await expect(client.getJob('j_1')).rejects.toBeInstanceOf(ContractError);
  });

  it('lists jobs with filters in the query string and keeps the cursor', async () => {
    handler = (_req, _body, res) => json(res, 200, { items: [job], next_cursor: '17' });
    const list = await client.listJobs({ status: 'running', limit: 10 });
    expect(seen[0].url).toBe('/v1/jobs?status=running&limit=10');
    expect(list.items).toHaveLength(1);
    expect(list.next_cursor).toBe('17');
  });

  it('pages through media with the cursor the server gave', async () => {
    const m = { id: 'm_1', uri: 'media://m_1', filename: 'talk.mp4', bytes: 10, created_at: '2026-11-24T19:00:00Z' };
    handler = (_req, _body, res) => json(res, 200, { items: [m], next_cursor: '17.m_1' });
    const page = await client.listMedia({ limit: 1 });
    expect(seen[0].url).toBe('/v1/media?limit=1');
    expect(page.items[0].filename).toBe('talk.mp4');
    await client.listMedia({ cursor: page.next_cursor });
    expect(seen[1].url).toBe('/v1/media?cursor=17.m_1');
    handler = (_req, _body, res) => json(res, 200, { items: [m], next_cursor: null });
    await expect(client.listMedia()).rejects.toBeInstanceOf(ContractError);
  });

  it('reads the templates and applies the schema defaults', async () => {
    const canvas = { width: 1080, height: 1920 };
    handler = (_req, _body, res) => json(res, 200, { items: [{ id: 'shorts-blur', version: 1, layout: 'blur_fill', format: 'vertical',
      vertical: canvas, horizontal: { width: 1920, height: 1080 } }] });
    const [t] = await client.listTemplates();
    expect(seen[0].url).toBe('/v1/templates');
    expect(t).toMatchObject({ id: 'shorts-blur', vertical: { fps: 30, background: 'black' }, variables: [] });
    handler = (_req, _body, res) => json(res, 200, { items: [{ id: 'x', version: 1, layout: 'zoom', format: 'vertical', vertical: canvas, horizontal: canvas }] });
    await expect(client.listTemplates()).rejects.toBeInstanceOf(ContractError);
  });

  it('escapes ids in paths', async () => {
    handler = (_req, _body, res) => json(res, 200, job);
    await client.getJob('a/b?c');
    expect(seen[0].url).toBe('/v1/jobs/a%2Fb%3Fc');
  });

  it('posts a label and validates the stored label', async () => {
    handler = (_req, body, res) =>
      json(res, 201, { ...JSON.parse(body), id: 'l_1', created_at: '2026-11-24T19:05:00Z' });
    const l = await client.createLabel({ media_id: 'm_1', start_ms: 1000, end_ms: 4000, verdict: 'accept',
      detected_start_ms: 1200, detected_end_ms: 4000, score: 0.8 });
    expect(l.id).toBe('l_1');
    expect(l.verdict).toBe('accept');
  });

  it('validates a label before it leaves: end must come after start', async () => {
    const { LabelCreateSchema } = await import('./generated/schemas');
    const r = LabelCreateSchema.safeParse({ media_id: 'm', start_ms: 5000, end_ms: 5000, verdict: 'accept' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['end_ms']);
    expect(r.error?.issues[0].message).toBe('must be > start_ms');
  });
});

describe('jobKindsFromOpenApi', () => {
  it('prefers the kinds the server declares it runs', () => {
    const doc = { paths: { '/v1/jobs': { post: { 'x-cf-job-kinds': ['clip_processing', 'highlight_detection'] } } },
      components: { schemas: { JobKind: { enum: ['clip_processing', 'highlight_detection', 'autoclip'] } } } };
    expect(jobKindsFromOpenApi(doc)).toEqual(['clip_processing', 'highlight_detection']);
  });

  it('leaves out kinds the UI does not offer instead of offering none', () => {
    const doc = { paths: { '/v1/jobs': { post: { 'x-cf-job-kinds': ['autoclip', 'noop', 'from_the_future'] } } } };
    expect(jobKindsFromOpenApi(doc)).toEqual(['autoclip']);
  });

  it('falls back to the JobKind enum and to nothing', () => {
    expect(jobKindsFromOpenApi({ components: { schemas: { JobKind: { enum: ['render'] } } } })).toEqual(['render']);
    expect(jobKindsFromOpenApi({})).toEqual([]);
  });
});
