// The job list, live over SSE: status, stage and progress change as the events arrive.
import { useState } from 'react';
import { JobKindValues, JobStateValues, type JobKind, type JobState } from '@clipforge/api-client';
import { Empty, formatDate, ProblemBox, ProgressBar, StatusBadge } from '@clipforge/ui';
import { KIND_NAMES } from '../lib/jobs';
import { Link } from '../lib/router';
import { useJobs } from '../state/jobs';

export function JobsScreen() {
  const { jobs, error } = useJobs();
  const [status, setStatus] = useState<JobState | ''>('');
  const [kind, setKind] = useState<JobKind | ''>('');
  const shown = jobs.filter((j) => (!status || j.status === status) && (!kind || j.kind === kind));
  return (
    <section aria-labelledby="jobs-title">
      <div className="row wrap">
        <h1 id="jobs-title" className="grow">Jobs</h1>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value as JobState | '')}>
            <option value="">any</option>
            {JobStateValues.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Kind{' '}
          <select value={kind} onChange={(e) => setKind(e.target.value as JobKind | '')}>
            <option value="">any</option>
            {JobKindValues.map((k) => <option key={k} value={k}>{KIND_NAMES[k]}</option>)}
          </select>
        </label>
      </div>
      {error ? <ProblemBox problem={error} /> : null}
      {!shown.length ? <Empty>No jobs{status || kind ? ' match' : ' yet'}.</Empty> : null}
      <ul className="job-list">
        {shown.map((j) => (
          <li key={j.id} className="job-row" data-testid="job-row" data-job-id={j.id} data-status={j.status}>
            <Link to={`/jobs/${encodeURIComponent(j.id)}`} className="job-link">
              <span className="job-kind">{KIND_NAMES[j.kind]}</span>
              <code className="job-id">{j.id}</code>
            </Link>
            <StatusBadge status={j.status} />
            <span className="job-stage muted">{j.stage || '—'}</span>
            <span className="job-progress">
              <ProgressBar value={j.status === 'succeeded' ? 1 : j.progress} label={`Progress of ${j.id}`} />
            </span>
            <span className="muted job-time">{formatDate(j.created_at)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
