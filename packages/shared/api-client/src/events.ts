// The event stream over WebSocket (GET /v1/events/ws), with Server-Sent Events as the fallback.
// Both transports carry the same stream: each WebSocket text frame is the Event JSON an SSE data
// line carries, and ?last_event_id= resumes like Last-Event-ID, so switching transports loses
// and repeats nothing. openEventStream() tries WebSocket when the browser has it; when the
// WebSocket cannot be opened at all (a proxy that does not pass upgrades, an older server) it
// continues over SSE from the last event seen.
import { operations } from './generated/operations';
import { deliverEvent, EventStream, type EventStreamOptions } from './sse';

export type Transport = 'websocket' | 'sse';

export interface WsEventStreamOptions extends EventStreamOptions {
  /** The WebSocket constructor (tests pass their own); default the browser's. */
  WebSocket?: typeof WebSocket;
  /** The WebSocket never opened: the caller may fall back to another transport. */
  onUnavailable?: (why: string) => void;
}

/** The ws:// or wss:// URL of /v1/events/ws for a base URL ('' = this page's origin); the API key
 * goes as ?access_token= since a browser's WebSocket cannot send an Authorization header. */
export function wsUrl(baseUrl: string | undefined, jobId?: string, lastEventId?: string, accessToken?: string): string {
  const origin = typeof location !== 'undefined' ? location.href : 'http://localhost/';
  const url = new URL(`${baseUrl ?? ''}${operations['GET /v1/events/ws'].path}`, origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // (encodeURIComponent, not URLSearchParams: the server does not read '+' as a space)
  const q = [
    jobId ? `job_id=${encodeURIComponent(jobId)}` : '',
    lastEventId ? `last_event_id=${encodeURIComponent(lastEventId)}` : '',
    accessToken ? `access_token=${encodeURIComponent(accessToken)}` : '',
  ].filter(Boolean);
  url.search = q.length ? `?${q.join('&')}` : '';
  return url.toString();
}

/** The id inside an event's JSON, to resume after it even when the event itself is refused. */
function idOf(data: string): string | undefined {
  try {
    const id = (JSON.parse(data) as { id?: unknown }).id;
    return typeof id === 'number' && Number.isInteger(id) ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

/** Follows /v1/events/ws until close(); reconnects after drops with ?last_event_id=. */
export class WsEventStream {
  private socket: WebSocket | undefined;
  private closed = false;
  private everOpened = false;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  lastEventId: string | undefined;

  constructor(private readonly opts: WsEventStreamOptions) {
    this.lastEventId = opts.lastEventId;
    this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const socket = this.socket;
    // Closing one still connecting makes browsers log an error: let it open, then close it.
    if (socket && socket.readyState === 0) socket.onopen = () => socket.close(1000);
    else socket?.close(1000);
    this.opts.onState?.('closed');
  }

  private connect(): void {
    if (this.closed) return;
    this.opts.onState?.(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const Ws = this.opts.WebSocket ?? globalThis.WebSocket;
    let socket: WebSocket;
    try {
      const token = /^Bearer (.+)$/.exec(this.opts.headers?.Authorization ?? '')?.[1];
      socket = new Ws(wsUrl(this.opts.baseUrl, this.opts.jobId, this.lastEventId, token));
    } catch (e) {
      this.unavailable(e instanceof Error ? e.message : String(e));
      return;
    }
    this.socket = socket;
    let open = false;
    socket.onopen = () => {
      open = true;
      this.everOpened = true;
      this.attempt = 0;
      this.opts.onState?.('open');
    };
    socket.onmessage = (m: MessageEvent) => {
      if (this.closed || typeof m.data !== 'string') return;
      const id = idOf(m.data);
      if (id !== undefined) this.lastEventId = id;
      deliverEvent(m.data, id, this.opts);
    };
    socket.onclose = (ev: CloseEvent) => {
      if (this.closed || this.socket !== socket) return;
      const why = `WebSocket closed (${ev.code})`;
      if (!open && !this.everOpened) this.unavailable(why);
      else this.scheduleReconnect(why);
    };
  }

  private unavailable(why: string): void {
    this.closed = true;
    this.opts.onUnavailable?.(why);
  }

  private scheduleReconnect(why: string): void {
    const steps = this.opts.backoffMs ?? [500, 1000, 2000, 5000];
    const delay = steps[Math.min(this.attempt, steps.length - 1)];
    this.attempt++;
    this.opts.onState?.('reconnecting', why);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

export interface OpenEventStreamOptions extends EventStreamOptions {
  /** 'auto' (the default): WebSocket when available, else SSE. */
  transport?: 'auto' | Transport;
  WebSocket?: typeof WebSocket;
  /** The transport in use, told at the start and when it changes. */
  onTransport?: (t: Transport) => void;
}

export interface EventStreamHandle {
  close(): void;
  readonly lastEventId: string | undefined;
  readonly transport: Transport;
}

/** Opens the event stream: WebSocket when it can, SSE otherwise or when WebSocket fails. */
export function openEventStream(opts: OpenEventStreamOptions): EventStreamHandle {
  let inner: WsEventStream | EventStream;
  let transport: Transport;
  const sse = (lastEventId: string | undefined) => {
    transport = 'sse';
    opts.onTransport?.('sse');
    inner = new EventStream({ ...opts, lastEventId });
  };
  const Ws = opts.WebSocket ?? (typeof WebSocket !== 'undefined' ? WebSocket : undefined);
  if (opts.transport === 'sse' || !Ws) {
    sse(opts.lastEventId);
  } else {
    transport = 'websocket';
    opts.onTransport?.('websocket');
    inner = new WsEventStream({
      ...opts,
      WebSocket: Ws,
      onUnavailable: (why) => {
        if (opts.transport === 'websocket') opts.onState?.('closed', why);
        else sse(inner.lastEventId);
      },
    });
  }
  return {
    close: () => inner.close(),
    get lastEventId() {
      return inner.lastEventId;
    },
    get transport() {
      return transport;
    },
  };
}
