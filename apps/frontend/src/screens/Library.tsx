// The media library: every uploaded file with its poster (a filmstrip on hover), name, duration
// and state, searchable and sortable; the work to start on it (find highlights, autoclip, cut a
// clip), the jobs already run on it, and deletion after a confirmation.
import { useMemo, useState } from 'react';
import type { z } from 'zod';
import {
  ApiError,
  type ClipProcessingRequestInput,
  ClipProcessingRequestSchema,
  type DetectionProfile,
  DetectionProfileValues,
  type HighlightDetectionRequestInput,
  type Media,
  type TargetFormat,
  TargetFormatValues,
} from '@clipforge/api-client';
import {
  ConfirmDialog,
  Empty,
  formatBytes,
  formatDate,
  formatMs,
  MediaThumb,
  ProblemBox,
  ReasonButton,
  StatusBadge,
} from '@clipforge/ui';
import { probeAspect, probeDurationMs, probeHasVideo } from '../lib/format';
import { filmstripOf, mediaName, mediaState, searchMedia, SORTS, sortMedia, type SortKey } from '../lib/library';
import { jobMediaUri, KIND_NAMES, newClipId } from '../lib/jobs';
import { Link, useRouter } from '../lib/router';
import { useApi, useKindAvailable } from '../state/api';
import { useJobs } from '../state/jobs';
import { useMedia } from '../state/media';
import { AutoclipDialog } from './AutoclipDialog';

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
  const [confirming, setConfirming] = useState(false);
  const [autoclipOpen, setAutoclipOpen] = useState(false);
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


  const name = mediaName(m);
  const state = mediaState(m, jobs.jobs);
  const remove = async () => {
    setBusy(true);
    try {
      await media.remove(m.id);
    } catch (e) {
      setError(ApiError.describe(e));
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <li className="card media-card" data-testid="media-card" data-media-id={m.id} aria-labelledby={`${m.id}-name`}>
      <MediaThumb posterUrl={client.posterUrl(m.id)} loadFilmstrip={() => filmstripOf(client, m.id)} name={name} aspect={probeAspect(m.probe)} hasVideo={probeHasVideo(m.probe)} />
      <div className="media-body">
        <div className="row wrap">
          <h2 className="grow card-title" id={`${m.id}-name`}>{name}</h2>
          <span className={`state state-${state.tone}`} data-testid="media-state">{state.text}</span>
        </div>
        <p className="muted">
          {duration !== undefined ? `${formatMs(duration, 0)} · ` : ''}
          {formatBytes(m.bytes)} · uploaded {formatDate(m.created_at)} · <code>{m.id}</code>
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
            onClick={() => setAutoclipOpen(true)}
            aria-haspopup="dialog"
          >
            Autoclip…
          </ReasonButton>
          <button type="button" className="danger" disabled={busy} onClick={() => setConfirming(true)} aria-label={`Delete ${name}`}>
            Delete
          </button>
        </div>
        <details className="more">
          <summary>Cut a plain clip</summary>
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
        </details>
        {error ? <ProblemBox problem={error} /> : null}
        {related.length ? (
          <ul className="related" aria-label={`Jobs on ${name}`}>
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
      </div>
      {autoclipOpen ? (
        <AutoclipDialog media={m} onClose={() => setAutoclipOpen(false)} onSubmitted={(id) => navigate(`/jobs/${encodeURIComponent(id)}`)} />
      ) : null}
      {confirming ? (
        <ConfirmDialog title={`Delete ${name}?`} confirm="Delete" busy={busy} onCancel={() => setConfirming(false)} onConfirm={() => void remove()}
          message={<p>The uploaded file and its pictures are removed for good. Clips already made from it stay.</p>} />
      ) : null}
    </li>
  );
}

export function LibraryScreen() {
  const media = useMedia();
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<SortKey>('newest');
  const shown = useMemo(() => sortMedia(searchMedia(media.items, query), sort), [media.items, query, sort]);
  return (
    <section aria-labelledby="library-title">
      <div className="row wrap">
        <h1 id="library-title" className="grow">Media library</h1>
        <Link to="/upload" className="button">Upload</Link>
      </div>
      <div className="toolbar" role="search">
        <label className="grow">
          <span className="sr-only">Search media by name</span>
          <input type="search" placeholder="Search by name…" value={query} onChange={(e) => setQuery(e.target.value)} data-testid="library-search" />
        </label>
        <label>
          Sort{' '}
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)} data-testid="library-sort">
            {(Object.keys(SORTS) as SortKey[]).map((k) => <option key={k} value={k}>{SORTS[k]}</option>)}
          </select>
        </label>
      </div>
      {media.error ? <ProblemBox problem={media.error} title="Could not load the library" /> : null}
      {media.loading && !media.items.length ? <Empty>Loading…</Empty> : null}
      {!media.loading && !media.items.length ? (
        <Empty>
          Nothing here yet. <Link to="/upload">Upload a video</Link> to start.
        </Empty>
      ) : null}
      {media.items.length && !shown.length ? <Empty>No media matches “{query}”.</Empty> : null}
      <p className="sr-only" aria-live="polite">{query ? `${shown.length} of ${media.items.length} media match` : ''}</p>
      <ul className="cards media-grid">
        {shown.map((m) => (
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
