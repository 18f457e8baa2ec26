// The media library: every uploaded file with what probing found, and the work to start on it
// (find highlights, autoclip), plus the jobs already run on it.
import { useState } from 'react';
import type { z } from 'zod';
import { ApiError } from '../api/client';
import { Empty, ProblemBox, ReasonButton, StatusBadge } from '../components/common';
import {
  AutoclipRequestSchema,
  ClipProcessingRequestSchema,
  DetectionProfileValues,
  TargetFormatValues,
  type AutoclipRequestInput,
  type ClipProcessingRequestInput,
  type DetectionProfile,
  type HighlightDetectionRequestInput,
  type Media,
  type TargetFormat,
} from '../generated/domain';
import { formatBytes, formatDate, formatMs, probeDurationMs } from '../lib/format';
import { jobMediaUri, KIND_NAMES, newClipId } from '../lib/jobs';
import { Link, useRouter } from '../lib/router';
import { useApi, useKindAvailable } from '../state/api';
import { useJobs } from '../state/jobs';
import { useMedia } from '../state/media';

// A request the generated schema refuses is a bug here, shown as the field and the reason
// instead of a round trip to the server.
function mustParse(schema: z.ZodType, request: unknown) {
  const check = schema.safeParse(request);
  if (!check.success) {
    const i = check.error.issues[0];
    throw new Error(`${i.path.map(String).join('.')}: ${i.message}`);
  }
}

function MediaCard({ m }: { m: Media }) {
  const { client } = useApi();
  const jobs = useJobs();
  const media = useMedia();
  const { navigate } = useRouter();
  const [profile, setProfile] = useState<DetectionProfile>('generic');
  const [clipFrom, setClipFrom] = useState('0');
  const [clipTo, setClipTo] = useState('5');
  const [clipFormat, setClipFormat] = useState<TargetFormat>('mp4');
  const clipOk = useKindAvailable('clip_processing');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const autoclip = useKindAvailable('autoclip');
  const detect = useKindAvailable('highlight_detection');
  const related = jobs.jobs.filter((j) => jobMediaUri(j) === m.uri);
  const duration = probeDurationMs(m.probe);

  const run = async (what: () => Promise<{ id: string }>) => {
    setBusy(true);
    setError(undefined);
    try {
      const j = await what();
      navigate(`/jobs/${encodeURIComponent(j.id)}`);
    } catch (e) {
      setError(ApiError.describe(e));
    } finally {
      setBusy(false);
    }
  };

  const findHighlights = () =>
    run(async () => {
      const request: HighlightDetectionRequestInput = { clip_id: newClipId('hl'), media_uri: m.uri, detection_profile: profile, top_n: 8 };
      const j = await client.createJob('highlight_detection', request);
      jobs.upsert(j);
      return j;
    });

  const cutClip = () =>
    run(async () => {
      const start = Math.round(Number(clipFrom) * 1000);
      const end = Math.round(Number(clipTo) * 1000);
      const request: ClipProcessingRequestInput = {
        clip_id: newClipId('clip'),
        source_uri: m.uri,
        target_format: clipFormat,
        // thumbnail time counts in the trimmed clip
        operations: [{ op: 'trim', start_ms: start, end_ms: end }, { op: 'thumbnail', at_ms: Math.max(0, Math.round((end - start) / 2)) }],
      };
      mustParse(ClipProcessingRequestSchema, request);
      const j = await client.createJob('clip_processing', request);
      jobs.upsert(j);
      return j;
    });

  const startAutoclip = () =>
    run(async () => {
      const request: AutoclipRequestInput = { clip_id: newClipId('auto'), media_uri: m.uri, count: 3 };
      mustParse(AutoclipRequestSchema, request);
      const j = await client.createJob('autoclip', request);
      jobs.upsert(j);
      return j;
    });

  return (
    <li className="card" data-testid="media-card" data-media-id={m.id}>
      <div className="row">
        <h2 className="grow card-title">{m.filename ?? m.id}</h2>
        <span className="muted">{formatBytes(m.bytes)}</span>
      </div>
      <p className="muted">
        {duration !== undefined ? `${formatMs(duration, 0)} · ` : ''}
        {m.mime ?? 'unknown type'} · uploaded {formatDate(m.created_at)} · <code>{m.id}</code>
      </p>
      <div className="actions">
        <label>
          Profile{' '}
          <select value={profile} onChange={(e) => setProfile(e.target.value as DetectionProfile)}>
            {DetectionProfileValues.map((p) => (
              <option key={p} value={p}>{p}</option>
            ))}
          </select>
        </label>
        <ReasonButton disabled={busy || detect === false} reason={detect === false ? 'highlight detection is not available on this server' : undefined}
          onClick={() => void findHighlights()}>
          Find highlights
        </ReasonButton>
        <ReasonButton
          disabled={busy || !autoclip}
          reason={autoclip === false ? 'Autoclip is not available on this server yet' : autoclip === undefined ? 'checking…' : undefined}
          onClick={() => void startAutoclip()}
        >
          One-click autoclip
        </ReasonButton>
        <button type="button" className="danger" disabled={busy}
          onClick={() => {
            if (window.confirm(`Delete ${m.filename ?? m.id}?`)) media.remove(m.id).catch((e: unknown) => setError(ApiError.describe(e)));
          }}>
          Delete
        </button>
      </div>
      <form className="actions clip-form" onSubmit={(e) => { e.preventDefault(); void cutClip(); }}>
        <label>From <input type="number" min="0" step="0.1" value={clipFrom} onChange={(e) => setClipFrom(e.target.value)} aria-label="Clip start, seconds" /> s</label>
        <label>to <input type="number" min="0" step="0.1" value={clipTo} onChange={(e) => setClipTo(e.target.value)} aria-label="Clip end, seconds" /> s</label>
        <select value={clipFormat} onChange={(e) => setClipFormat(e.target.value as TargetFormat)} aria-label="Clip format">
          {TargetFormatValues.map((f) => <option key={f} value={f}>{f}</option>)}
        </select>
        <ReasonButton type="submit" disabled={busy || clipOk === false} reason={clipOk === false ? 'clipping is not available on this server' : undefined}>
          Cut clip
        </ReasonButton>
      </form>
      {error ? <ProblemBox problem={error} /> : null}
      {related.length ? (
        <ul className="related">
          {related.slice(0, 6).map((j) => (
            <li key={j.id}>
              <StatusBadge status={j.status} /> <Link to={`/jobs/${encodeURIComponent(j.id)}`}>{KIND_NAMES[j.kind]} {j.id}</Link>
              {j.kind === 'highlight_detection' && j.status === 'succeeded' ? (
                <> · <Link to={`/review/${encodeURIComponent(j.id)}`}>review highlights</Link></>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export function LibraryScreen() {
  const media = useMedia();
  return (
    <section aria-labelledby="library-title">
      <div className="row">
        <h1 id="library-title" className="grow">Media library</h1>
        <Link to="/upload" className="button">Upload</Link>
      </div>
      {media.error ? <ProblemBox problem={media.error} title="Could not load the library" /> : null}
      {media.loading && !media.items.length ? <Empty>Loading…</Empty> : null}
      {!media.loading && !media.items.length ? (
        <Empty>
          Nothing here yet. <Link to="/upload">Upload a video</Link> to start.
        </Empty>
      ) : null}
      <ul className="cards">
        {media.items.map((m) => (
          <MediaCard key={m.id} m={m} />
        ))}
      </ul>
      {media.more ? (
        <p>
          <button type="button" disabled={media.loading} onClick={() => void media.loadMore()}>
            {media.loading ? 'Loading…' : 'Show older media'}
          </button>
        </p>
      ) : null}
    </section>
  );
}
