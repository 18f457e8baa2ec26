// Server-Sent Events over fetch: parses the stream, validates each event against the generated
// Event schema, and reconnects with Last-Event-ID after a drop so no event is lost or repeated.
// (EventSource cannot send headers on the first connection and gives up on HTTP errors, so the
// UI does it itself.)
import { operations } from './generated/operations';
import { EventSchema, type Event } from './generated/schemas';

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** Incremental parser of the text/event-stream format: feed chunks, get complete messages. */
export class SseParser {
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];
  /** The retry interval the server asked for, in ms (undefined until it says). */
  retryMs: number | undefined;

  feed(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone trailing \r may be the first half of \r\n: wait for the next chunk.
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    return out;
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const msg = { id: this.id, event: this.event || 'message', data: this.data.join('\n') };
      this.event = '';
      this.data = [];
      return msg;
    }
    if (line.startsWith(':')) return undefined; // comment (heartbeat)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }
}

/** Parses and validates one event's JSON (an SSE data line, a WebSocket text frame) and hands it
 * to onEvent; one that breaks the contract goes to onInvalid. Returns the event, if valid. */
export function deliverEvent(
  data: string,
  id: string | undefined,
  opts: Pick<EventStreamOptions, 'onEvent' | 'onInvalid'>,
): Event | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    opts.onInvalid?.(`event ${id ?? '?'}: data is not JSON`);
    return undefined;
  }
  const parsed = EventSchema.safeParse(json);
  if (!parsed.success) {
    opts.onInvalid?.(`event ${id ?? '?'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return undefined;
  }
  opts.onEvent(parsed.data);
  return parsed.data;
}

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface EventStreamOptions {
  baseUrl?: string;
  jobId?: string;
  /** Resume after this event id (what the last session saw). */
  lastEventId?: string;
  onEvent: (event: Event) => void;
  onState?: (state: StreamState, detail?: string) => void;
  /** An event that does not match the schema: reported, skipped, the stream goes on. */
  onInvalid?: (message: string) => void;
  fetch?: typeof fetch;
  /** Extra request headers (the API key's Authorization). */
  headers?: Record<string, string>;
  /** Delays between reconnection attempts; the last one repeats. */
  backoffMs?: number[];
}

/** Follows /v1/events until close() is called; reconnects after drops and server errors. */
export class EventStream {
  private controller: AbortController | undefined;
  private closed = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  lastEventId: string | undefined;

  constructor(private readonly opts: EventStreamOptions) {
    this.lastEventId = opts.lastEventId;
    void this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort();
    this.opts.onState?.('closed');
  }

  private url(): string {
    const q = this.opts.jobId ? `?job_id=${encodeURIComponent(this.opts.jobId)}` : '';
    return `${this.opts.baseUrl ?? ''}${operations['GET /v1/events'].path}${q}`;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.opts.onState?.(this.attempt === 0 ? 'connecting' : 'reconnecting');
    this.controller = new AbortController();
    const headers: Record<string, string> = { Accept: 'text/event-stream', ...this.opts.headers };
    if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
    const parser = new SseParser();
    let why = 'stream ended';
    try {
      const doFetch = this.opts.fetch ?? globalThis.fetch.bind(globalThis);
      const res = await doFetch(this.url(), { headers, signal: this.controller.signal, cache: 'no-store' });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      this.attempt = 0;
      this.opts.onState?.('open');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const msg of parser.feed(value)) this.deliver(msg);
      }
    } catch (e) {
      why = e instanceof Error ? e.message : String(e);
    }
    if (this.closed) return;
    this.scheduleReconnect(parser.retryMs, why);
  }

  private deliver(msg: SseMessage): void {
    if (msg.id !== undefined) this.lastEventId = msg.id;
    deliverEvent(msg.data, msg.id, this.opts);
  }

  private scheduleReconnect(serverRetry: number | undefined, why: string): void {
    const steps = this.opts.backoffMs ?? [500, 1000, 2000, 5000];
    const delay = serverRetry ?? steps[Math.min(this.attempt, steps.length - 1)];
    this.attempt++;
    this.opts.onState?.('reconnecting', why);
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
