// Live jobs: the list from GET /v1/jobs kept current by the /v1/events stream. Each event
// carries a snapshot of its job (status, stage, progress, result or error), so the list updates
// without polling; the stream resumes after the last event id it saw, also across reloads.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError, type Event, type Job, openEventStream, type StreamState } from '@clipforge/api-client';
import { useApi } from './api';

const LAST_EVENT_KEY = 'clipforge.lastEventId';

/** One stage a job went through, as the events told it. */
export interface StageStep {
  stage: string;
  progress: number;
  done: boolean;
}

interface JobsValue {
  jobs: Job[];
  stream: StreamState;
  streamDetail: string | undefined;
  error: string | undefined;
  byId: (id: string) => Job | undefined;
  stages: (id: string) => StageStep[];
  /** Adds or replaces a job (after creating or fetching one). */
  upsert: (job: Job) => void;
  refresh: () => Promise<void>;
}

const JobsContext = createContext<JobsValue | undefined>(undefined);

/** Applies an event's job snapshot to what we know of the job. */
export function applyEvent(job: Job, e: Event): Job {
  const d = e.data ?? {};
  const next: Job = { ...job, updated_at: e.at };
  if (typeof d.status === 'string') next.status = d.status as Job['status'];
  if (typeof d.stage === 'string') next.stage = d.stage;
  if (typeof d.progress === 'number') next.progress = Math.max(0, Math.min(1, d.progress));
  if (typeof d.attempts === 'number') next.attempts = d.attempts;
  if (d.result && typeof d.result === 'object') next.result = d.result as Record<string, unknown>;
  if (d.error && typeof d.error === 'object') next.error = d.error as Job['error'];
  if (e.type === 'JobCompleted') next.status = 'succeeded';
  if (e.type === 'JobCancelled') next.status = 'cancelled';
  if (e.type === 'JobRequested' && d.retry) {
    next.status = 'queued';
    next.error = undefined;
  }
  return next;
}

/** Folds an event into a job's stage history. */
export function addStage(steps: StageStep[], e: Event): StageStep[] {
  const d = e.data ?? {};
  const stage = typeof d.stage === 'string' && d.stage ? d.stage : undefined;
  const progress = typeof d.progress === 'number' ? d.progress : undefined;
  const out = steps.slice();
  if (stage) {
    const last = out[out.length - 1];
    if (!last || last.stage !== stage) {
      if (last) out[out.length - 1] = { ...last, done: true };
      out.push({ stage, progress: progress ?? 0, done: false });
    } else if (progress !== undefined) {
      out[out.length - 1] = { ...last, progress };
    }
  }
  if (e.type === 'JobCompleted' && out.length) out[out.length - 1] = { ...out[out.length - 1], done: true };
  return out;
}

function byNewest(a: Job, b: Job): number {
  return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1;
}

export function JobsProvider({ children }: { children: ReactNode }) {
  const { client } = useApi();
  const [map, setMap] = useState<Map<string, Job>>(new Map());
  const [stageMap, setStageMap] = useState<Map<string, StageStep[]>>(new Map());
  const [stream, setStream] = useState<StreamState>('connecting');
  const [streamDetail, setStreamDetail] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const fetching = useRef(new Set<string>());
  const mapRef = useRef(map);
  mapRef.current = map;

  const upsert = useCallback((job: Job) => {
    setMap((m) => new Map(m).set(job.id, job));
  }, []);

  const fetchJob = useCallback(
    (id: string) => {
      if (fetching.current.has(id)) return;
      fetching.current.add(id);
      client
        .getJob(id)
        .then(upsert, (e: unknown) => {
          if (!(e instanceof ApiError && e.status === 404)) setError(ApiError.describe(e));
        })
        .finally(() => fetching.current.delete(id));
    },
    [client, upsert],
  );

  const refresh = useCallback(async () => {
    try {
      const list = await client.listJobs({ limit: 100 });
      setMap((m) => {
        const next = new Map(m);
        for (const j of list.items) next.set(j.id, j);
        return next;
      });
      setError(undefined);
    } catch (e) {
      setError(ApiError.describe(e));
    }
  }, [client]);

  useEffect(() => {
    const onEvent = (e: Event) => {
      sessionStorage.setItem(LAST_EVENT_KEY, String(e.id));
      setStageMap((m) => new Map(m).set(e.job_id, addStage(m.get(e.job_id) ?? [], e)));
      // (State updaters run later, during rendering: what is known now comes from the ref.)
      const known = mapRef.current.has(e.job_id);
      setMap((m) => {
        const j = m.get(e.job_id);
        return j ? new Map(m).set(j.id, applyEvent(j, e)) : m;
      });
      // A job we have not seen (created elsewhere), or finished: fetch it whole (result URLs).
      if (!known || e.type === 'JobCompleted') fetchJob(e.job_id);
    };
    // Open the stream (WebSocket, else SSE) before listing, so nothing in between is missed.
    const s = openEventStream({
      baseUrl: client.baseUrl,
      headers: client.authHeaders(),
      lastEventId: sessionStorage.getItem(LAST_EVENT_KEY) ?? undefined,
      onEvent,
      onState: (st, detail) => {
        setStream(st);
        setStreamDetail(detail);
        if (st === 'open') void refresh();
      },
      onInvalid: (msg) => setError(`ignored an event that breaks the contract (${msg})`),
    });
    return () => s.close();
  }, [client, fetchJob, refresh]);

  const value = useMemo<JobsValue>(
    () => ({
      jobs: [...map.values()].sort(byNewest),
      stream,
      streamDetail,
      error,
      byId: (id) => map.get(id),
      stages: (id) => stageMap.get(id) ?? [],
      upsert,
      refresh,
    }),
    [map, stageMap, stream, streamDetail, error, upsert, refresh],
  );
  return <JobsContext.Provider value={value}>{children}</JobsContext.Provider>;
}

export function useJobs(): JobsValue {
  const v = useContext(JobsContext);
  if (!v) throw new Error('useJobs outside JobsProvider');
  return v;
}
