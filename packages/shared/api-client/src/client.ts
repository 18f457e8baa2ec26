// The typed API client. Requests go by the operations of the server's OpenAPI document
// (generated/operations.ts: path, parameters, bodies), and every response body is validated with
// the validators generated from it, so a server that drifts from the contract fails loudly here,
// and a contract change that the UI does not follow fails the TypeScript build.
import { z } from 'zod';
import {
  MediaSchema,
  ProblemSchema,
  TranscriptSchema,
  TranscriptUploadSchema,
  type Job,
  type JobKind,
  type JobState,
  type Media,
  type MediaFilmstrip,
  type MediaList,
  type MediaWaveform,
  type Problem,
  type RenderTemplate,
  type ShareLink,
  type SmartCropPath,
  type SplitFraming,
  type RenderRequestInput,
  type Timeline,
  type Transcript,
  type TranscriptUpload,
  type Label,
  type LabelCreateInput,
  type JobList,
  type Flag,
  type Whoami,
} from './generated/schemas';
import { operations, type OperationId, type Operations } from './generated/operations';

/** ?start_ms=&end_ms=&width=&height= of a scene's framing. */
function spanQuery(startMs: number, endMs: number, width: number, height: number) {
  return { start_ms: startMs, end_ms: endMs, width, height };
}

/** The body a successful call of operation K returns (unknown when the document names none). */
export type ResponseOf<K extends OperationId> = Operations[K]['response'] extends z.ZodType
  ? z.output<Operations[K]['response']>
  : unknown;
/** The JSON body operation K takes. */
export type RequestOf<K extends OperationId> = Operations[K]['request'] extends z.ZodType
  ? z.input<Operations[K]['request']>
  : never;
type Values<T> = Partial<Record<T extends readonly (infer N)[] ? N & string : never, string | number | undefined>>;
/** What a call of operation K passes: its path parameters (all of them), query and header
 *  parameters (by the names the document gives), and its body. */
export type CallArgs<K extends OperationId> = (Operations[K]['pathParams'] extends readonly []
  ? { params?: undefined }
  : { params: Required<Record<Operations[K]['pathParams'][number], string>> }) & {
  query?: Values<Operations[K]['query']>;
  headers?: Values<Operations[K]['headers']>;
  body?: RequestOf<K>;
};

/** The URL (without the base) of operation id with its path parameters filled in and its query.
 *  (encodeURIComponent, not URLSearchParams: the server does not read '+' as a space.) */
export function operationUrl<K extends OperationId>(id: K, args: CallArgs<K>): string {
  const op = operations[id];
  const params = (args.params ?? {}) as Record<string, string>;
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (params[name] === undefined) throw new Error(`${id}: no value for {${name}}`);
    return encodeURIComponent(params[name]);
  });
  const q = Object.entries((args.query ?? {}) as Record<string, string | number | undefined>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return q.length ? `${path}?${q.join('&')}` : path;
}

/** An HTTP error with the server's problem document when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** One line for the UI: the problem's title and detail, or the HTTP status. */
  static describe(e: unknown): string {
    if (e instanceof ApiError) return e.message;
    if (e instanceof Error) return e.message;
    return String(e);
  }
}

/** The response did not match the contract. */
export class ContractError extends Error {
  constructor(what: string, issues: z.core.$ZodIssue[]) {
    const first = issues[0];
    const where = first && first.path.length ? first.path.join('.') + ': ' : '';
    super(`${what}: ${where}${first?.message ?? 'invalid'}`);
    this.name = 'ContractError';
  }
}

export interface JobQuery {
  status?: JobState;
  kind?: JobKind;
  cursor?: string;
  limit?: number;
}

export interface PageQuery {
  cursor?: string;
  limit?: number;
}

export interface UploadOptions {
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export interface ClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  /** An API key (cfk_...), sent as Authorization: Bearer when the server requires keys. */
  apiKey?: string;
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new ContractError(what, r.error.issues);
  return r.data;
}

async function problemFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let problem: Problem | undefined;
  try {
    const r = ProblemSchema.safeParse(JSON.parse(text));
    if (r.success) problem = r.data;
  } catch {
    /* not JSON: fall back to the status line */
  }
  const message = problem
    ? problem.detail
      ? `${problem.title}: ${problem.detail}`
      : problem.title
    : `HTTP ${res.status} ${res.statusText}`.trim();
  return new ApiError(res.status, problem, message);
}

export class ApiClient {
  readonly baseUrl: string;
  readonly apiKey: string | undefined;
  private readonly doFetch: typeof fetch;

  constructor(opts: ClientOptions = {}) {
    this.baseUrl = opts.baseUrl ?? '';
    this.apiKey = opts.apiKey;
    this.doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** The Authorization header of this client's key (none without a key). */
  authHeaders(): Record<string, string> {
    return this.apiKey ? { Authorization: `Bearer ${this.apiKey}` } : {};
  }

  /** Calls operation id of the API and returns its response body, validated by the document's
   *  schema for it (operations without a JSON response, such as a 204, answer undefined). */
  async call<K extends OperationId>(id: K, ...[given]: {} extends CallArgs<K> ? [CallArgs<K>?] : [CallArgs<K>]): Promise<ResponseOf<K>> {
    const args = given ?? ({} as CallArgs<K>);
    const op = operations[id];
    if ((op.response as unknown) === 'binary') throw new Error(`${id} answers bytes, not JSON: fetch its URL (operationUrl)`);
    const schema = (op.response ?? z.unknown()) as z.ZodType<ResponseOf<K>>;
    const url = operationUrl(id, args);
    const headers: Record<string, string> = { Accept: 'application/json', ...this.authHeaders() };
    for (const [k, v] of Object.entries((args.headers ?? {}) as Record<string, string | number | undefined>))
      if (v !== undefined) headers[k] = String(v);
    const init: RequestInit = { method: op.method, headers };
    if (args.body !== undefined) {
      init.body = JSON.stringify(args.body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await this.doFetch(this.baseUrl + url, init);
    if (!res.ok) throw await problemFrom(res);
    const what = `${op.method} ${url}`;
    if (res.status === 204) return parse(schema, undefined, what);
    const json: unknown = await res.json();
    return parse(schema, json, what);
  }

  getMedia(id: string): Promise<Media> {
    return this.call('GET /v1/media/{media_id}', { params: { media_id: id } });
  }

  /** A page of uploaded media, newest first; next_cursor is set when more may follow. */
  listMedia(q: PageQuery = {}): Promise<MediaList> {
    return this.call('GET /v1/media', { query: { ...q } });
  }

  /** The media's audio as peaks (computed once by the server, then kept). */
  getWaveform(id: string): Promise<MediaWaveform> {
    return this.call('GET /v1/media/{media_id}/waveform', { params: { media_id: id } });
  }

  /** Frames spread over the media on one sprite sheet (url), with the tile layout. */
  getFilmstrip(id: string): Promise<MediaFilmstrip> {
    return this.call('GET /v1/media/{media_id}/filmstrip', { params: { media_id: id } });
  }

  /** Where the media's poster (a JPEG frame that is not black) is served. An <img> cannot send
   *  headers, so the key goes in the query (the server takes ?access_token= on GETs). */
  posterUrl(id: string): string {
    const token = this.apiKey ? `?access_token=${encodeURIComponent(this.apiKey)}` : '';
    return `${this.baseUrl}${operationUrl('GET /v1/media/{media_id}/poster', { params: { media_id: id } })}${token}`;
  }

  /** The caller as the server sees it: tenant, role, and whether keys are required. */
  whoami(): Promise<Whoami> {
    return this.call('GET /v1/whoami');
  }

  /** The feature flags and whether each is on for the caller's tenant. */
  async listFlags(): Promise<Flag[]> {
    return (await this.call('GET /v1/flags')).items;
  }

  /** Renders req as a new version of the clip render job id made (versions are kept). */
  createVersion(id: string, req: RenderRequestInput, idempotencyKey?: string): Promise<Job> {
    return this.call('POST /v1/jobs/{job_id}/versions', { params: { job_id: id }, body: req, headers: { 'Idempotency-Key': idempotencyKey } });
  }

  /** Every render of the clip job id belongs to, the first first. */
  async listVersions(id: string): Promise<Job[]> {
    return (await this.call('GET /v1/jobs/{job_id}/versions', { params: { job_id: id } })).items;
  }

  /** The timeline the server would render for req (a template over a span). */
  compileTimeline(req: RenderRequestInput): Promise<Timeline> {
    return this.call('POST /v1/timelines', { body: req });
  }

  /** The smart-crop camera path the render follows over [startMs, endMs) of the media on a
   *  width x height canvas (analysed by the server on each call: seconds for a long span). */
  getCropPath(id: string, startMs: number, endMs: number, width: number, height: number): Promise<SmartCropPath> {
    return this.call('GET /v1/media/{media_id}/camera-path', { params: { media_id: id }, query: spanQuery(startMs, endMs, width, height) });
  }

  /** The regions a split scene over [startMs, endMs) frames its panels on (two people), or none. */
  getSplitFraming(id: string, startMs: number, endMs: number, width: number, height: number): Promise<SplitFraming> {
    return this.call('GET /v1/media/{media_id}/split-framing', { params: { media_id: id }, query: spanQuery(startMs, endMs, width, height) });
  }

  /** A transcript file by its signed URL (an autoclip run's transcript_url). */
  async getTranscript(url: string): Promise<Transcript> {
    const res = await this.doFetch(url.startsWith('http') ? url : this.baseUrl + url, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw await problemFrom(res);
    return parse(TranscriptSchema, await res.json(), 'transcript');
  }

  /** A signed link to one job output (storage:// URI) that works for ttlS seconds (a week). */
  share(uri: string, ttlS?: number): Promise<ShareLink> {
    return this.call('POST /v1/share', { body: ttlS ? { uri, ttl_s: ttlS } : { uri } });
  }

  /** The rendering templates the server has. */
  async listTemplates(): Promise<RenderTemplate[]> {
    return (await this.call('GET /v1/templates')).items;
  }

  async deleteMedia(id: string): Promise<void> {
    await this.call('DELETE /v1/media/{media_id}', { params: { media_id: id } });
  }

  createJob(kind: JobKind, request: Record<string, unknown>, idempotencyKey?: string): Promise<Job> {
    return this.call('POST /v1/jobs', { body: { kind, request }, headers: { 'Idempotency-Key': idempotencyKey } });
  }

  getJob(id: string): Promise<Job> {
    return this.call('GET /v1/jobs/{job_id}', { params: { job_id: id } });
  }

  listJobs(q: JobQuery = {}): Promise<JobList> {
    return this.call('GET /v1/jobs', { query: { ...q } });
  }

  cancelJob(id: string): Promise<Job> {
    return this.call('POST /v1/jobs/{job_id}/cancel', { params: { job_id: id } });
  }

  retryJob(id: string): Promise<Job> {
    return this.call('POST /v1/jobs/{job_id}/retry', { params: { job_id: id } });
  }

  createLabel(label: LabelCreateInput): Promise<Label> {
    return this.call('POST /v1/labels', { body: label });
  }

  async listLabels(mediaId: string): Promise<Label[]> {
    return (await this.call('GET /v1/labels', { query: { media_id: mediaId } })).items;
  }

  /** The job kinds the server runs, from its OpenAPI document (x-cf-job-kinds on POST /v1/jobs,
   *  else the JobKind enum of the request body). */
  async jobKinds(): Promise<JobKind[]> {
    return jobKindsFromOpenApi(await this.call('GET /openapi.json'));
  }

  /** Uploads a transcript of a media (SRT, WebVTT or Transcript JSON) for an autoclip's or a
   *  detection's transcript_uri; the server reads it at once and says what is wrong with it. */
  async uploadTranscript(file: Blob): Promise<TranscriptUpload> {
    const res = await this.doFetch(this.baseUrl + operationUrl('POST /v1/transcripts', {}), {
      method: 'POST',
      body: file,
      headers: { 'Content-Type': file.type || 'text/plain', Accept: 'application/json', ...this.authHeaders() },
    });
    if (!res.ok) throw await problemFrom(res);
    return parse(TranscriptUploadSchema, await res.json(), 'POST /v1/transcripts');
  }

  /** Uploads a file with upload progress (XMLHttpRequest: fetch cannot report it). */
  uploadMedia(file: Blob, filename: string, opts: UploadOptions = {}): Promise<Media> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.baseUrl + operationUrl('POST /v1/media', { query: { filename } }));
      xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
      xhr.setRequestHeader('Accept', 'application/json');
      if (this.apiKey) xhr.setRequestHeader('Authorization', `Bearer ${this.apiKey}`);
      xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
      xhr.onerror = () => reject(new ApiError(0, undefined, 'upload failed: network error'));
      xhr.onabort = () => reject(new ApiError(0, undefined, 'upload cancelled'));
      xhr.onload = () => {
        const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
        if (xhr.status < 200 || xhr.status >= 300) {
          void problemFrom(res).then(reject);
          return;
        }
        try {
          resolve(parse(MediaSchema, JSON.parse(xhr.responseText), 'POST /v1/media'));
        } catch (e) {
          reject(e);
        }
      };
      opts.signal?.addEventListener('abort', () => xhr.abort());
      xhr.send(file);
    });
  }
}

const UI_KINDS: readonly JobKind[] = ['clip_processing', 'highlight_detection', 'transcription', 'render', 'autoclip'];
const KindList = z.array(z.string());

/** Reads the runnable job kinds out of an OpenAPI document: the ones this UI offers; a kind it does
 *  not know (a newer server's, or noop for benchmarks) is left out, not a reason to offer none. */
export function jobKindsFromOpenApi(doc: unknown): JobKind[] {
  const d = doc as {
    paths?: Record<string, { post?: Record<string, unknown> }>;
    components?: { schemas?: Record<string, { enum?: unknown }> };
  };
  const known = (list: string[]) => UI_KINDS.filter((k) => list.includes(k));
  const fromPaths = KindList.safeParse(d.paths?.['/v1/jobs']?.post?.['x-cf-job-kinds']);
  if (fromPaths.success) return known(fromPaths.data);
  const fromEnum = KindList.safeParse(d.components?.schemas?.JobKind?.enum);
  return fromEnum.success ? known(fromEnum.data) : [];
}
