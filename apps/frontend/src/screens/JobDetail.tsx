// One job: its stages with their progress (from the live events), its error as the server
// reported it, its result's notes (e.g. the source streams it left out), its request and result,
// and what can be done next (cancel, retry, review, play).
import { useEffect, useRef, useState } from 'react';
import { ApiError, type Artifact, ArtifactSchema, type Job, type JobChild } from '@clipforge/api-client';
import {
  formatBytes,
  formatDate,
  formatMs,
  formatPercent,
  ProblemBox,
  ProgressBar,
  StatusBadge,
} from '@clipforge/ui';
import { formatRemaining, remainingMs, type ProgressSample } from '../lib/eta';
import { ResultNotes } from '../components/ResultNotes';
import { KIND_NAMES, resultNotes } from '../lib/jobs';
import { Link } from '../lib/router';
import { useApi } from '../state/api';
import { useJobs } from '../state/jobs';

/** The artifacts in a job result (any kind's result keeps them under "artifacts" or "outputs"). */
export function resultArtifacts(result: Record<string, unknown> | undefined): Artifact[] {
  if (!result) return [];
  const list = Array.isArray(result.artifacts) ? result.artifacts : Array.isArray(result.outputs) ? result.outputs : [];
  const out: Artifact[] = [];
  for (const a of list) {
    const r = ArtifactSchema.safeParse(a);
    if (r.success) out.push(r.data);
  }
  // autoclip: clips[].artifacts
  if (Array.isArray(result.clips)) {
    for (const c of result.clips) if (c && typeof c === 'object') out.push(...resultArtifacts(c as Record<string, unknown>));
  }
  return out;
}

export function ArtifactView({ a }: { a: Artifact }) {
  return (
    <div className="artifact" data-testid="artifact" data-kind={a.kind}>
      {a.url && a.kind === 'video' ? <video src={a.url} controls preload="metadata" playsInline data-testid="artifact-video" /> : null}
      {a.url && a.kind === 'audio' ? <audio src={a.url} controls preload="metadata" /> : null}
      {a.url && (a.kind === 'thumbnail' || a.kind === 'image') ? <img src={a.url} alt="thumbnail" /> : null}
      <div className="row wrap">
        <span className="grow">
          <strong>{a.kind}</strong> {a.mime} · {formatBytes(a.bytes)}
          {a.duration_ms !== undefined ? ` · ${formatMs(a.duration_ms)}` : ''}
          {a.width && a.height ? ` · ${a.width}×${a.height}` : ''}
        </span>
        {a.url ? <a href={a.url} download className="button">Download</a> : <span className="muted">no download link</span>}
      </div>
    </div>
  );
}

/** A parent's children: those its detail listed, kept current by the live jobs that name it. */
export function jobChildren(job: Job, live: Job[]): JobChild[] {
  const out = new Map<string, JobChild>();
  for (const c of job.children ?? []) out.set(c.id, c);
  for (const j of live) if (j.parent_id === job.id) out.set(j.id, j);
  return [...out.values()].sort((a, b) => a.id.localeCompare(b.id));
}

function ChildJobs({ items }: { items: JobChild[] }) {
  return (
    <div className="children" data-testid="job-children">
      <h2>Child jobs</h2>
      <ul>
        {items.map((c) => (
          <li key={c.id} className="row wrap" data-testid="job-child" data-status={c.status}>
            <Link to={`/jobs/${encodeURIComponent(c.id)}`} className="grow">
              {KIND_NAMES[c.kind]} <code>{c.id}</code>
            </Link>
            <StatusBadge status={c.status} />
            <ProgressBar value={c.status === 'succeeded' ? 1 : (c.progress ?? 0)} label={`Job ${c.id}`} />
            {c.error ? <ProblemBox problem={c.error} /> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** "about 2 min left" while the job runs, once its pace is known. */
function useEstimate(job: Job | undefined): string | undefined {
  const first = useRef<ProgressSample | undefined>(undefined);
  if (!job || job.status !== 'running') {
    first.current = undefined;
    return undefined;
  }
  const now = { at: Date.now(), progress: job.progress };
  if (!first.current || now.progress < first.current.progress) first.current = now;
  const ms = remainingMs(first.current, now);
  return ms === undefined ? undefined : formatRemaining(ms);
}

export function JobDetailScreen({ id }: { id: string }) {
  const { client } = useApi();
  const jobs = useJobs();
  const job = jobs.byId(id);
  const estimate = useEstimate(job);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    client.getJob(id).then(jobs.upsert, (e: unknown) => setError(ApiError.describe(e)));
  }, [client, id]);

  if (!job) return error ? <ProblemBox problem={error} title="Could not load the job" /> : <p>Loading…</p>;

  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await f();
      jobs.upsert(await client.getJob(id));
      setError(undefined);
    } catch (e) {
      setError(ApiError.describe(e));
    } finally {
      setBusy(false);
    }
  };
  const stages = jobs.stages(id);
  const final = job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled';
  const artifacts = resultArtifacts(job.result);
  const children = jobChildren(job, jobs.jobs);

  return (
    <section aria-labelledby="job-title" data-testid="job-detail" data-status={job.status}>
      <p><Link to="/jobs">← Jobs</Link></p>
      <div className="row wrap">
        <h1 id="job-title" className="grow">{KIND_NAMES[job.kind]} <code>{job.id}</code></h1>
        <StatusBadge status={job.status} />
      </div>
      <p className="muted">
        created {formatDate(job.created_at)} · updated {formatDate(job.updated_at)} · attempts {job.attempts}
      </p>
      <ProgressBar value={job.status === 'succeeded' ? 1 : job.progress} label="Overall progress" />
      <p>
        {job.stage ? <>Stage <strong data-testid="job-stage">{job.stage}</strong> · </> : null}
        <span data-testid="job-progress">{formatPercent(job.status === 'succeeded' ? 1 : job.progress)}</span>
        {estimate ? <> · <span data-testid="job-estimate">{estimate}</span></> : null}
      </p>
      {stages.length ? (
        <ol className="stages" aria-label="Stages">
          {stages.map((s, i) => (
            <li key={`${s.stage}-${i}`} className={s.done ? 'stage-done' : 'stage-active'}>
              <span className="stage-name">{s.stage}</span>
              <ProgressBar value={s.done ? 1 : s.progress} label={`Stage ${s.stage}`} />
            </li>
          ))}
        </ol>
      ) : null}
      {job.error ? <ProblemBox problem={job.error} /> : null}
      {error ? <ProblemBox problem={error} /> : null}
      <ResultNotes notes={resultNotes(job)} />
      <div className="actions">
        {!final ? <button type="button" disabled={busy} onClick={() => void act(() => client.cancelJob(id))}>Cancel</button> : null}
        {job.status === 'failed' || job.status === 'cancelled' ? (
          <button type="button" disabled={busy} onClick={() => void act(() => client.retryJob(id))}>Retry</button>
        ) : null}
        {job.kind === 'highlight_detection' && job.status === 'succeeded' ? (
          <Link to={`/review/${encodeURIComponent(id)}`} className="button primary">Review highlights</Link>
        ) : null}
      </div>
      {children.length ? <ChildJobs items={children} /> : null}
      {job.parent_id ? (
        <p>Part of <Link to={`/jobs/${encodeURIComponent(job.parent_id)}`}>job <code>{job.parent_id}</code></Link></p>
      ) : null}
      {artifacts.length ? (
        <div className="artifacts">
          <h2>Output</h2>
          {artifacts.map((a) => <ArtifactView key={a.uri} a={a} />)}
        </div>
      ) : null}
      <details>
        <summary>Request</summary>
        <pre>{JSON.stringify(job.request, null, 2)}</pre>
      </details>
      {job.result ? (
        <details>
          <summary>Result</summary>
          <pre>{JSON.stringify(job.result, null, 2)}</pre>
        </details>
      ) : null}
    </section>
  );
}
