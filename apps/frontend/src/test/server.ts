// A small in-process HTTP server speaking the API's wire format, for component tests: it keeps
// jobs, media and labels in memory, streams events over SSE on demand, and records requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Event,
  type Flag,
  type Job,
  type LabelInput,
  type Media,
  type MediaFilmstrip,
  type MediaWaveform,
  type RenderTemplateInput,
} from '@clipforge/api-client';

export interface TestServer {
  url: string;
  jobs: Map<string, Job>;
  media: Map<string, Media>;
  labels: LabelInput[];
  /** Pictures by media id (a media without one answers 422, as for a file without audio/video). */
  waveforms: Map<string, MediaWaveform>;
  filmstrips: Map<string, MediaFilmstrip>;
  requests: { method: string; url: string; body: string }[];
  kinds: string[];
  templates: RenderTemplateInput[];
  /** GET /v1/flags answers these; unset, the route is unknown (404), as on an older server. */
  flags?: Flag[];
  /** When set, /v1/ answers 401 to a request without this key (as CLIPFORGE_AUTH=on does). */
  apiKey?: string;
  /** Sends an event to every open stream (and remembers it for Last-Event-ID resumes). */
  emit: (e: Omit<Event, 'id' | 'at'>) => Event;
  close: () => Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, what: string) {
  send(res, 404, { type: 'https://clipforge.dev/problems/not-found', title: 'Not found', status: 404, detail: what }, 'application/problem+json');
}

const canvases = { vertical: { width: 1080, height: 1920 }, horizontal: { width: 1920, height: 1080 } };

/** Two templates as GET /v1/templates describes the shipped ones. */
export const TEMPLATES: RenderTemplateInput[] = [
  { id: 'shorts-blur', version: 1, description: '9:16 short: the video over a blurred cover of itself.', layout: 'blur_fill',
    format: 'vertical', ...canvases, title_position: 'top', captions_position: 'lower_third',
    variables: [{ name: 'title', request_field: 'title' }, { name: 'brand_color', request_field: 'brand_color', default_value: '#FFCC00' },
      { name: 'logo', request_field: 'logo_uri' }] },
  { id: 'landscape-clean', version: 1, description: '16:9 clip, a small title in the lower left.', layout: 'fit',
    format: 'horizontal', ...canvases, title_position: 'bottom_left', captions_position: 'bottom',
    variables: [{ name: 'title', request_field: 'title' }, { name: 'brand_color', request_field: 'brand_color', default_value: '#202020' }] },
];

export async function startTestServer(): Promise<TestServer> {
  const streams = new Set<ServerResponse>();
  const events: Event[] = [];
  let jobSeq = 0;
  const s: TestServer = {
    url: '',
    jobs: new Map(),
    media: new Map(),
    labels: [],
    waveforms: new Map(),
    filmstrips: new Map(),
    requests: [],
    kinds: ['clip_processing', 'highlight_detection', 'transcription'],
    templates: [...TEMPLATES],
    emit: (partial) => {
      const e: Event = { ...partial, id: events.length + 1, at: new Date().toISOString() };
      events.push(e);
      for (const r of streams) r.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      return e;
    },
    close: async () => {
      for (const r of streams) r.end();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };

  const route = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const p = u.pathname;
    let m: RegExpExecArray | null;
    if (p.startsWith('/v1/') && s.apiKey !== undefined) {
      const given = req.headers.authorization ?? (u.searchParams.has('access_token') ? `Bearer ${u.searchParams.get('access_token')}` : '');
      if (given !== `Bearer ${s.apiKey}`)
        return send(res, 401, { type: 'https://clipforge.dev/problems/unauthorized', title: 'Authentication required', status: 401,
          detail: given ? 'wrong API key' : 'send an API key: Authorization: Bearer KEY' }, 'application/problem+json');
    }
    if (p === '/v1/whoami')
      return send(res, 200, s.apiKey !== undefined ? { tenant: 'acme', role: 'editor', key_id: 'k1', auth: true } : { tenant: 'default', role: 'admin', auth: false });
    if (p === '/openapi.json') return send(res, 200, { openapi: '3.1.0', paths: { '/v1/jobs': { post: { 'x-cf-job-kinds': s.kinds } } } });
    if (p === '/v1/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
      const after = Number(req.headers['last-event-id'] ?? '0');
      for (const e of events) if (e.id > after) res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      res.write(': hello\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    if (p === '/v1/jobs' && req.method === 'GET') return send(res, 200, { items: [...s.jobs.values()].reverse(), next_cursor: null });
    if (p === '/v1/jobs' && req.method === 'POST') {
      const b = JSON.parse(body) as { kind: Job['kind']; request: Record<string, unknown> };
      if (!s.kinds.includes(b.kind)) return send(res, 422, { title: 'Unsupported job kind', status: 422, detail: `kind: ${b.kind} is not available` }, 'application/problem+json');
      const now = new Date().toISOString();
      const j: Job = { id: `j_${++jobSeq}`, kind: b.kind, status: 'queued', progress: 0, attempts: 0, created_at: now, updated_at: now, request: b.request };
      s.jobs.set(j.id, j);
      return send(res, 202, j);
    }
    if ((m = /^\/v1\/jobs\/([^/]+)$/.exec(p))) {
      const j = s.jobs.get(decodeURIComponent(m[1]));
      return j ? send(res, 200, j) : notFound(res, `job ${m[1]}`);
    }
    if (p === '/v1/media' && req.method === 'GET') {
      // newest first; the cursor is the index of the next item
      const all = [...s.media.values()].reverse();
      const from = Number(u.searchParams.get('cursor') ?? '0');
      const limit = Number(u.searchParams.get('limit') ?? '50');
      const items = all.slice(from, from + limit);
      return send(res, 200, from + limit < all.length ? { items, next_cursor: String(from + limit) } : { items });
    }
    if (p === '/v1/transcripts' && req.method === 'POST') {
      if (!body.includes('-->')) return send(res, 400, { type: 'https://clipforge.dev/problems/validation', title: 'Request is not valid', status: 400, detail: 'the upload: line 1: no captions found' }, 'application/problem+json');
      return send(res, 201, { id: 'tr_1', uri: 'storage://transcripts/tr_1.json', language: 'en-us', model: 'captions/imported', duration_ms: 4000, segments: 1, words: 2, bytes: 100 });
    }
    if (p === '/v1/share' && req.method === 'POST') {
      const b = JSON.parse(body) as { uri: string; ttl_s?: number };
      const key = b.uri.replace(/^storage:\/\//, '');
      return send(res, 201, { uri: b.uri, url: `/v1/files/${key}?exp=9&sig=shared`, expires_at: '2026-12-01T19:00:00Z' });
    }
    if (p === '/v1/templates') return send(res, 200, { items: s.templates });
    if (p === '/v1/flags' && s.flags) return send(res, 200, { items: s.flags });
    if ((m = /^\/v1\/media\/([^/]+)\/(waveform|filmstrip|poster)$/.exec(p))) {
      const id = decodeURIComponent(m[1]);
      if (!s.media.has(id)) return notFound(res, `media ${id}`);
      const pic = m[2] === 'waveform' ? s.waveforms.get(id) : m[2] === 'filmstrip' ? s.filmstrips.get(id) : undefined;
      if (!pic) return send(res, 422, { type: 'https://clipforge.dev/problems/unsupported', title: 'Unsupported', status: 422, detail: `media ${id} has no ${m[2]}` }, 'application/problem+json');
      return send(res, 200, pic);
    }
    if ((m = /^\/v1\/media\/([^/]+)$/.exec(p)) && req.method === 'DELETE') {
      if (!s.media.delete(decodeURIComponent(m[1]))) return notFound(res, `media ${m[1]}`);
      res.writeHead(204).end();
      return;
    }
    if ((m = /^\/v1\/media\/([^/]+)$/.exec(p))) {
      const md = s.media.get(decodeURIComponent(m[1]));
      return md ? send(res, 200, md) : notFound(res, `media ${m[1]}`);
    }
    if (p === '/v1/labels' && req.method === 'GET') {
      return send(res, 200, { items: s.labels.filter((l) => l.media_id === u.searchParams.get('media_id')) });
    }
    if (p === '/v1/labels' && req.method === 'POST') {
      const l: LabelInput = { ...JSON.parse(body), id: `l_${s.labels.length + 1}`, created_at: new Date().toISOString() };
      s.labels.push(l);
      return send(res, 201, l);
    }
    return notFound(res, p);
  };

  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      s.requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      route(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return s;
}
