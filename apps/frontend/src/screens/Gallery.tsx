// The clip gallery: every finished short once, grouped by the source it was cut from and by the
// autoclip run that made it; each with its poster, title, score, reasons, duration, span and
// result notes (a run's notes with its group).
// A short plays in place; it downloads alone or with the others as one zip (GET /v1/archive);
// a signed link to it (POST /v1/share, a week) is copied for sending.
import { useMemo, useState } from 'react';
import { ApiError } from '@clipforge/api-client';
import { Empty, formatDate, formatMs, VideoCard } from '@clipforge/ui';
import { ResultNotes } from '../components/ResultNotes';
import { archiveUrl, galleryOf, type GalleryClip, type GalleryGroup } from '../lib/gallery';
import { mediaIdFromUri } from '../lib/format';
import { Link } from '../lib/router';
import { useApi } from '../state/api';
import { useJobs } from '../state/jobs';
import { useMedia } from '../state/media';

/** The server's limit of jobs in one zip. */
const MAX_ARCHIVE_JOBS = 100;

/** Copies text; false when the browser refuses (no clipboard permission, insecure page). */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function ShareButton({ clip }: { clip: GalleryClip }) {
  const { client } = useApi();
  const [state, setState] = useState<{ url?: string; note: string } | undefined>();
  const share = async () => {
    setState({ note: 'Making a link…' });
    try {
      const link = await client.share(clip.video.uri);
      const url = new URL(link.url, window.location.href).toString();
      const copied = await copyText(url);
      const until = formatDate(link.expires_at);
      setState({ url, note: copied ? `Link copied · works until ${until}` : `Copy this link · works until ${until}` });
    } catch (e) {
      setState({ note: `No link: ${ApiError.describe(e)}` });
    }
  };
  return (
    <>
      <button type="button" onClick={() => void share()} aria-label={`Copy a share link to ${clip.title}`}>Copy link</button>
      {state ? (
        <span className="share-note" role="status" data-testid="share-status">
          {state.note}
          {state.url ? <input type="text" readOnly value={state.url} aria-label="Share link" onFocus={(e) => e.currentTarget.select()} data-testid="share-url" /> : null}
        </span>
      ) : null}
    </>
  );
}

function ClipCard({ clip, source }: { clip: GalleryClip; source: string }) {
  const span = clip.startMs !== undefined && clip.endMs !== undefined ? `${formatMs(clip.startMs, 0)}–${formatMs(clip.endMs, 0)}` : undefined;
  const headingId = `clip-${clip.jobId}-${clip.index ?? 0}`;
  return (
    <li className="card clip-card" data-testid="clip-card" data-job-id={clip.jobId} aria-labelledby={headingId}>
      <VideoCard title={clip.title} videoUrl={clip.video.url} posterUrl={clip.poster?.url} durationMs={clip.durationMs} />
      <div className="row wrap">
        <h4 className="grow clip-title" id={headingId}>{clip.index !== undefined ? `${clip.index}. ` : ''}{clip.title}</h4>
        {clip.versions > 1 ? <span className="state" data-testid="clip-versions" title="edited in the clip editor">v{clip.versions}</span> : null}
        {clip.score !== undefined ? <span className="score" title="highlight score" data-testid="clip-score">{clip.score.toFixed(2)}</span> : null}
      </div>
      {clip.lowConfidence ? (
        <p className="low-confidence" data-testid="clip-low-confidence"><strong>Low confidence:</strong> {clip.confidenceNote ?? 'no clear moment'}</p>
      ) : null}
      <p className="muted clip-meta">
        {clip.durationMs !== undefined ? `${formatMs(clip.durationMs, 0)} · ` : ''}
        {span ? `${span} of ${source}` : source}
      </p>
      {clip.reasons.length ? <p className="reasons" data-testid="clip-reasons">{clip.reasons.slice(0, 3).join(' · ')}</p> : null}
      <ResultNotes notes={clip.notes} heading="h5" />
      <div className="actions">
        {clip.video.url ? <a href={clip.video.url} download className="button" aria-label={`Download ${clip.title}`}>Download</a> : null}
        <ShareButton clip={clip} />
        {clip.editable ? (
          <Link to={`/edit/${encodeURIComponent(clip.jobId)}`} className="button link-button" aria-label={`Edit ${clip.title}`} data-testid="clip-edit">Edit</Link>
        ) : null}
        <Link to={`/jobs/${encodeURIComponent(clip.jobId)}`} className="button link-button">Details</Link>
      </div>
    </li>
  );
}

function Group({ group, source }: { group: GalleryGroup; source: string }) {
  const { client } = useApi();
  const n = group.clips.length;
  const what = group.autoclip ? `Autoclip run · ${n} short${n === 1 ? '' : 's'}` : `Clips made one by one · ${n}`;
  return (
    <div className="gallery-group" data-testid="gallery-group" data-group={group.key}>
      <div className="row wrap">
        <h3 className="grow">
          {what} <small className="muted">· {formatDate(group.createdAt)}</small>
          {group.autoclip ? <> · <Link to={`/jobs/${encodeURIComponent(group.autoclip.id)}`}>job</Link></> : null}
        </h3>
        <a className="button" href={archiveUrl(client.baseUrl, group.jobIds, client.apiKey)} download data-testid="group-zip"
          aria-label={`Download the ${n} clips of this ${group.autoclip ? 'autoclip run' : 'group'} as one zip`}>Download all (zip)</a>
      </div>
      <ResultNotes notes={group.notes} heading="h4" />
      <ul className="gallery">
        {group.clips.map((c) => <ClipCard key={c.key} clip={c} source={source} />)}
      </ul>
    </div>
  );
}

export function GalleryScreen() {
  const { client } = useApi();
  const { jobs } = useJobs();
  const media = useMedia();
  const sections = useMemo(() => galleryOf(jobs), [jobs]);
  const names = useMemo(() => new Map(media.items.map((m) => [m.uri, m.filename ?? m.id])), [media.items]);
  const nameOf = (uri: string) => names.get(uri) ?? mediaIdFromUri(uri) ?? (uri || 'unknown source');
  const allJobs = sections.flatMap((s) => s.groups.flatMap((g) => g.jobIds));
  const count = sections.reduce((n, s) => n + s.groups.reduce((k, g) => k + g.clips.length, 0), 0);
  return (
    <section aria-labelledby="gallery-title">
      <div className="row wrap">
        <h1 id="gallery-title" className="grow">Clips</h1>
        {count && allJobs.length <= MAX_ARCHIVE_JOBS ? (
          <a className="button primary" href={archiveUrl(client.baseUrl, allJobs, client.apiKey)} download data-testid="gallery-zip">
            Download all {count} (zip)
          </a>
        ) : null}
        {allJobs.length > MAX_ARCHIVE_JOBS ? <span className="muted">Download the groups one by one: a zip takes {MAX_ARCHIVE_JOBS} jobs at most.</span> : null}
      </div>
      {!count ? <Empty>No clips yet: run autoclip on a video in the library, or review highlights and render one.</Empty> : null}
      {sections.map((s) => (
        <section key={s.sourceUri} className="gallery-source" aria-labelledby={`src-${s.sourceUri}`} data-testid="gallery-source">
          <h2 id={`src-${s.sourceUri}`}>{nameOf(s.sourceUri)}</h2>
          {s.groups.map((g) => <Group key={g.key} group={g} source={nameOf(s.sourceUri)} />)}
        </section>
      ))}
    </section>
  );
}
