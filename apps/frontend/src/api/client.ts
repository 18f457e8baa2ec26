// The typed API client. Every response body is validated with the validators generated from
// packages/domain/schemas, so a server that drifts from the contract fails loudly here, and a
// contract change that the UI does not follow fails the TypeScript build.
import { z } from 'zod';
import {
  JobSchema,
  MediaFilmstripSchema,
  MediaListSchema,
  MediaSchema,
  MediaWaveformSchema,
  ProblemSchema,
  ShareLinkSchema,
  SmartCropPathSchema,
  SplitFramingSchema,
  TimelineSchema,
  TranscriptSchema,
  TemplateListSchema,
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
} from '../generated/domain';
import { LabelSchema, type Label, type LabelCreateInput } from './labels';

/** An HTTP error with the server's problem document when it sent one. */
/** ?start_ms=&end_ms=&width=&height= of a scene's framing. */
function spanQuery(startMs: number, endMs: number, width: number, height: number): URLSearchParams {
  return new URLSearchParams({ start_ms: String(startMs), end_ms: String(endMs), width: String(width), height: String(height) });
}

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

export const JobListSchema = z.strictObject({
  items: z.array(JobSchema),
  next_cursor: z.string().nullable().optional(),
});
export type JobList = z.infer<typeof JobListSchema>;

export const LabelListSchema = z.strictObject({ items: z.array(LabelSchema) });

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

/** Who the server takes the caller for (GET /v1/whoami). */
export const WhoamiSchema = z.strictObject({
  tenant: z.string(),
  role: z.enum(['viewer', 'editor', 'admin']),
  key_id: z.string().optional(),
  auth: z.boolean(),
});
export type Whoami = z.infer<typeof WhoamiSchema>;

/** A feature flag as GET /v1/flags gives it for the caller's tenant. on is null for a flag whose
 *  subject is a media when the answer depends on which media. */
export const FlagSchema = z.object({
  name: z.string(),
  source: z.enum(['default', 'config', 'store']),
  setting: z.string(),
  subject: z.enum(['tenant', 'media']),
  on: z.boolean().nullable(),
  description: z.string().optional(),
});
export type Flag = z.infer<typeof FlagSchema>;
export const FlagListSchema = z.object({ items: z.array(FlagSchema) });

/** "?a=1&b=2" from the defined members of q, "" when there are none. */
function query(q: object): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `?${qs}` : '';
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

  private async request<T>(schema: z.ZodType<T>, method: string, path: string, body?: unknown,
                           headers: Record<string, string> = {}): Promise<T> {
    const init: RequestInit = { method, headers: { Accept: 'application/json', ...this.authHeaders(), ...headers } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
    const res = await this.doFetch(this.baseUrl + path, init);
    if (!res.ok) throw await problemFrom(res);
    if (res.status === 204) return parse(schema, undefined, `${method} ${path}`);
    const json: unknown = await res.json();
    return parse(schema, json, `${method} ${path}`);
  }

  getMedia(id: string): Promise<Media> {
    return this.request(MediaSchema, 'GET', `/v1/media/${encodeURIComponent(id)}`);
  }

  /** A page of uploaded media, newest first; next_cursor is set when more may follow. */
  listMedia(q: PageQuery = {}): Promise<MediaList> {
    return this.request(MediaListSchema, 'GET', `/v1/media${query(q)}`);
  }

  /** The media's audio as peaks (computed once by the server, then kept). */
  getWaveform(id: string): Promise<MediaWaveform> {
    return this.request(MediaWaveformSchema, 'GET', `/v1/media/${encodeURIComponent(id)}/waveform`);
  }

  /** Frames spread over the media on one sprite sheet (url), with the tile layout. */
  getFilmstrip(id: string): Promise<MediaFilmstrip> {
    return this.request(MediaFilmstripSchema, 'GET', `/v1/media/${encodeURIComponent(id)}/filmstrip`);
  }

  /** Where the media's poster (a JPEG frame that is not black) is served. An <img> cannot send
   *  headers, so the key goes in the query (the server takes ?access_token= on GETs). */
  posterUrl(id: string): string {
    const token = this.apiKey ? `?access_token=${encodeURIComponent(this.apiKey)}` : '';
    return `${this.baseUrl}/v1/media/${encodeURIComponent(id)}/poster${token}`;
  }

  /** The caller as the server sees it: tenant, role, and whether keys are required. */
  whoami(): Promise<Whoami> {
    return this.request(WhoamiSchema, 'GET', '/v1/whoami');
  }

  /** The feature flags and whether each is on for the caller's tenant. */
  async listFlags(): Promise<Flag[]> {
    return (await this.request(FlagListSchema, 'GET', '/v1/flags')).items;
  }

  /** Renders req as a new version of the clip render job id made (versions are kept). */
  createVersion(id: string, req: RenderRequestInput, idempotencyKey?: string): Promise<Job> {
    const headers: Record<string, string> = idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {};
    return this.request(JobSchema, 'POST', `/v1/jobs/${encodeURIComponent(id)}/versions`, req, headers);
  }

  /** Every render of the clip job id belongs to, the first first. */
  async listVersions(id: string): Promise<Job[]> {
    return (await this.request(JobListSchema, 'GET', `/v1/jobs/${encodeURIComponent(id)}/versions`)).items;
  }

  /** The timeline the server would render for req (a template over a span). */
  compileTimeline(req: RenderRequestInput): Promise<Timeline> {
    return this.request(TimelineSchema, 'POST', '/v1/timelines', req);
  }

  /** The smart-crop camera path the render follows over [startMs, endMs) of the media on a
   *  width x height canvas (analysed by the server on each call: seconds for a long span). */
  getCropPath(id: string, startMs: number, endMs: number, width: number, height: number): Promise<SmartCropPath> {
    return this.request(SmartCropPathSchema, 'GET', `/v1/media/${encodeURIComponent(id)}/camera-path?${spanQuery(startMs, endMs, width, height)}`);
  }

  /** The regions a split scene over [startMs, endMs) frames its panels on (two people), or none. */
  getSplitFraming(id: string, startMs: number, endMs: number, width: number, height: number): Promise<SplitFraming> {
    return this.request(SplitFramingSchema, 'GET', `/v1/media/${encodeURIComponent(id)}/split-framing?${spanQuery(startMs, endMs, width, height)}`);
  }

  /** A transcript file by its signed URL (an autoclip run's transcript_url). */
  async getTranscript(url: string): Promise<Transcript> {
    const res = await this.doFetch(url.startsWith('http') ? url : this.baseUrl + url, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw await problemFrom(res);
    return parse(TranscriptSchema, await res.json(), 'transcript');
  }

  /** A signed link to one job output (storage:// URI) that works for ttlS seconds (a week). */
  share(uri: string, ttlS?: number): Promise<ShareLink> {
    return this.request(ShareLinkSchema, 'POST', '/v1/share', ttlS ? { uri, ttl_s: ttlS } : { uri });
  }

  /** The rendering templates the server has. */
  async listTemplates(): Promise<RenderTemplate[]> {
    return (await this.request(TemplateListSchema, 'GET', '/v1/templates')).items;
  }

  async deleteMedia(id: string): Promise<void> {
    const res = await this.doFetch(`${this.baseUrl}/v1/media/${encodeURIComponent(id)}`, { method: 'DELETE', headers: this.authHeaders() });
    if (!res.ok) throw await problemFrom(res);
  }

  createJob(kind: JobKind, request: Record<string, unknown>, idempotencyKey?: string): Promise<Job> {
    const headers: Record<string, string> = idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {};
    return this.request(JobSchema, 'POST', '/v1/jobs', { kind, request }, headers);
  }

  getJob(id: string): Promise<Job> {
    return this.request(JobSchema, 'GET', `/v1/jobs/${encodeURIComponent(id)}`);
  }

  listJobs(q: JobQuery = {}): Promise<JobList> {
    return this.request(JobListSchema, 'GET', `/v1/jobs${query(q)}`);
  }

  cancelJob(id: string): Promise<Job> {
    return this.request(JobSchema, 'POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  }

  retryJob(id: string): Promise<Job> {
    return this.request(JobSchema, 'POST', `/v1/jobs/${encodeURIComponent(id)}/retry`);
  }

  createLabel(label: LabelCreateInput): Promise<Label> {
    return this.request(LabelSchema, 'POST', '/v1/labels', label);
  }

  async listLabels(mediaId: string): Promise<Label[]> {
    const r = await this.request(LabelListSchema, 'GET', `/v1/labels?media_id=${encodeURIComponent(mediaId)}`);
    return r.items;
  }

  /** The job kinds the server runs, from its OpenAPI document (x-cf-job-kinds on POST /v1/jobs,
   *  else the JobKind enum of the request body). */
  async jobKinds(): Promise<JobKind[]> {
    const res = await this.doFetch(`${this.baseUrl}/openapi.json`, { headers: { Accept: 'application/json' } });
    if (!res.ok) throw await problemFrom(res);
    return jobKindsFromOpenApi(await res.json());
  }

  /** Uploads a file with upload progress (XMLHttpRequest: fetch cannot report it). */
  uploadMedia(file: Blob, filename: string, opts: UploadOptions = {}): Promise<Media> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${this.baseUrl}/v1/media?filename=${encodeURIComponent(filename)}`);
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
