// The clip editor: adjust a finished clip's span, fix its caption words (the ones the
// recogniser was unsure of are marked) and its title, switch its template, watch the edit in the
// instant preview (drawn in the browser from the source, no server render), then render it as a
// new version of the clip. Versions are kept and listed; each edit is saved as a label (source
// clip_edit) with the span, title and corrected words as proposed and as left.
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  type Artifact,
  AutoclipResultSchema,
  type Job,
  type Media,
  type RenderFormat,
  type Timeline,
  TranscriptionResultSchema,
  type TranscriptWord,
} from '@clipforge/api-client';
import {
  formatDate,
  formatMs,
  FormatSelect,
  ProblemBox,
  ProgressBar,
  type ReviewSpan,
  StatusBadge,
  Timeline as SpanTimeline,
} from '@clipforge/ui';
import { PreviewPlayer } from '../components/PreviewPlayer';
import type { SceneFraming } from '../lib/preview/geometry';
import { editLabel, editWords, spokenWords, versionRequest, type ClipEdit, type Proposed } from '../lib/clipEdit';
import { mediaIdFromUri, probeDurationMs } from '../lib/format';
import { jobMediaUri, newClipId } from '../lib/jobs';
import { Link, useRouter } from '../lib/router';
import { useApi } from '../state/api';
import { useJobs } from '../state/jobs';
import { useTemplates } from '../state/templates';
import { resultArtifacts } from './JobDetail';

interface Loaded {
  root: Job;
  opened: Job;
  media: Media;
  proposed: Proposed;
  words: TranscriptWord[] | undefined;
  wordsFrom: string;
}

const req = (j: Job) => j.request as Record<string, unknown>;

/** The words of the clip's captions, from wherever the clip got them. */
async function findWords(client: ReturnType<typeof useApi>['client'], opened: Job, root: Job, parent: Job | undefined, jobs: Job[]):
  Promise<{ words?: TranscriptWord[]; from: string }> {
  const inline = (req(opened).transcript ?? undefined) as { segments?: { words?: TranscriptWord[] }[] } | undefined;
  if (inline?.segments) return { words: inline.segments.flatMap((s) => s.words ?? []), from: 'this version' };
  const result = parent?.kind === 'autoclip' ? AutoclipResultSchema.safeParse(parent.result) : undefined;
  if (result?.success && result.data.transcript_url && req(root).captions_uri) {
    const t = await client.getTranscript(result.data.transcript_url);
    return { words: t.segments.flatMap((s) => s.words), from: 'the autoclip run' };
  }
  const uri = req(root).source_uri;
  const tj = jobs.find((j) => j.kind === 'transcription' && j.status === 'succeeded' && jobMediaUri(j) === uri);
  const tr = tj ? TranscriptionResultSchema.safeParse(tj.result) : undefined;
  if (tr?.success) return { words: tr.data.transcript.segments.flatMap((s) => s.words), from: `transcription ${tj!.id}` };
  return { from: '' };
}

async function load(client: ReturnType<typeof useApi>['client'], id: string, jobs: Job[]): Promise<Loaded> {
  const opened = await client.getJob(id);
  if (opened.kind !== 'render') throw new Error(`job ${id} is a ${opened.kind} job: only rendered clips can be edited`);
  let root = opened;
  let parent = opened.parent_id ? await client.getJob(opened.parent_id) : undefined;
  if (parent?.kind === 'render') {
    root = parent;
    parent = root.parent_id ? await client.getJob(root.parent_id) : undefined;
  }
  const r = req(root);
  const mediaId = mediaIdFromUri(typeof r.source_uri === 'string' ? r.source_uri : undefined);
  if (!mediaId) throw new Error(`job ${id} does not render an uploaded media file`);
  const media = await client.getMedia(mediaId);
  const proposed: Proposed = { startMs: Number(r.start_ms ?? 0), endMs: Number(r.end_ms ?? 0), title: typeof r.title === 'string' ? r.title : undefined };
  const ac = parent?.kind === 'autoclip' ? AutoclipResultSchema.safeParse(parent.result) : undefined;
  if (ac?.success) {
    const clip = ac.data.clips.find((c) => c.outputs.some((o) => o.uri.startsWith(`storage://jobs/${root.id}/`)));
    proposed.score = clip?.score;
    proposed.modelVersion = ac.data.model_version;
    proposed.jobId = parent!.id;
  }
  const { words, from } = await findWords(client, opened, root, parent, jobs);
  return { root, opened, media, proposed, words, wordsFrom: from };
}

function VersionList({ versions, opened }: { versions: Job[]; opened: string }) {
  return (
    <ol className="versions" aria-label="Versions of this clip" data-testid="versions">
      {versions.map((v, i) => {
        const video = resultArtifacts(v.result).find((a: Artifact) => a.kind === 'video');
        const poster = resultArtifacts(v.result).find((a: Artifact) => a.kind === 'thumbnail');
        const r = req(v);
        return (
          <li key={v.id} className="version" data-testid="version" data-status={v.status} data-job-id={v.id}>
            <div className="row wrap">
              <strong>v{i + 1}{i === 0 ? ' (first)' : ''}</strong>
              <span className="grow">{typeof r.title === 'string' ? r.title : 'untitled'} · {formatMs(Number(r.start_ms ?? 0), 1)}–{formatMs(Number(r.end_ms ?? 0), 1)} · {String(r.template_id ?? '')}</span>
              <StatusBadge status={v.status} />
              {v.id === opened ? <em className="muted">open</em> : <Link to={`/edit/${encodeURIComponent(v.id)}`}>edit from this one</Link>}
            </div>
            {v.status === 'running' || v.status === 'queued' ? <ProgressBar value={v.progress} label={`Version ${i + 1}`} /> : null}
            {video?.url ? <video src={video.url} poster={poster?.url} controls preload="metadata" playsInline data-testid="version-video"
              aria-label={`Version ${i + 1}`} /> : null}
            <small className="muted">{formatDate(v.created_at)}</small>
          </li>
        );
      })}
    </ol>
  );
}

export function ClipEditorScreen({ jobId }: { jobId: string }) {
  const { client } = useApi();
  const jobs = useJobs();
  const { navigate, query } = useRouter();
  const { templates } = useTemplates();
  const [data, setData] = useState<Loaded | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [edit, setEdit] = useState<ClipEdit | undefined>();
  const [versions, setVersions] = useState<Job[]>([]);
  const [timeline, setTimeline] = useState<Timeline | undefined>();
  const [previewError, setPreviewError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | undefined>();
  const [currentMs, setCurrentMs] = useState(0);
  const attempt = useRef<string | undefined>(undefined);

  useEffect(() => {
    let live = true;
    load(client, jobId, jobs.jobs).then(
      (d) => {
        if (!live) return;
        const r = req(d.opened);
        setData(d);
        setEdit({
          startMs: Number(r.start_ms ?? 0), endMs: Number(r.end_ms ?? 0), title: typeof r.title === 'string' ? r.title : '',
          templateId: String(r.template_id ?? 'shorts-blur'), format: (r.format as RenderFormat) ?? 'vertical',
          words: d.words ? editWords(d.words, 0, Number.MAX_SAFE_INTEGER) : [], captions: !!d.words,
        });
        setCurrentMs(Number(r.start_ms ?? 0));
      },
      (e: unknown) => live && setError(ApiError.describe(e)),
    );
    return () => {
      live = false;
    };
    // jobs only matter for the first load (a transcription job of the media)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, jobId]);

  // The versions, kept current by the live jobs (a new version's progress shows as it renders).
  const rootId = data?.root.id;
  useEffect(() => {
    if (!rootId) return;
    client.listVersions(rootId).then(setVersions, (e: unknown) => setError(ApiError.describe(e)));
  }, [client, rootId, saved]);
  const liveVersions = useMemo(() => versions.map((v) => jobs.byId(v.id) ?? v), [versions, jobs]);

  const mediaDuration = data ? probeDurationMs(data.media.probe) ?? 0 : 0;
  const request = useMemo(() => {
    if (!data || !edit || edit.endMs <= edit.startMs) return undefined;
    try {
      return versionRequest(req(data.opened), edit, mediaDuration);
    } catch {
      return undefined;
    }
  }, [data, edit, mediaDuration]);

  // The preview's timeline: what the server would render for the edit (compiled by the server,
  // a few ms), refreshed when the edit settles.
  useEffect(() => {
    if (!request) return;
    let live = true;
    const timer = window.setTimeout(() => {
      client.compileTimeline(request).then(
        (tl) => {
          if (!live) return;
          setTimeline(tl);
          setPreviewError(undefined);
        },
        (e: unknown) => live && setPreviewError(ApiError.describe(e)),
      );
    }, 250);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [client, request?.start_ms, request?.end_ms, request?.title, request?.template_id, request?.format, !!request?.transcript]);

  // How the server frames each scene (a smart_crop scene's camera path, a split scene's two
  // people: it analyses the span, seconds), so the preview frames the shot where the render
  // will; centred crops and halves until they come, or if they cannot.
  const [framings, setFramings] = useState<(SceneFraming | undefined)[] | undefined>();
  const [framingNote, setFramingNote] = useState<string | undefined>();
  const framingCache = useRef(new Map<string, Promise<SceneFraming>>());
  useEffect(() => {
    setFramings(undefined);
    setFramingNote(undefined);
    const framed = (l: string) => l === 'smart_crop' || l === 'split';
    if (!timeline || !timeline.scenes.some((s) => framed(s.layout))) return;
    let live = true;
    const { width: W, height: H } = timeline.canvas;
    setFramingNote('Finding how the render frames the shot…');
    const failures: string[] = [];
    Promise.all(timeline.scenes.map((s) => {
      const id = mediaIdFromUri(s.source_uri);
      if (!framed(s.layout) || !id) return undefined;
      const key = `${s.layout}:${id}:${s.in_ms}:${s.out_ms}:${W}x${H}`;
      let p = framingCache.current.get(key);
      if (!p) {
        p = s.layout === 'smart_crop'
          ? client.getCropPath(id, s.in_ms, s.out_ms, W, H).then((cropPath) => ({ cropPath }))
          : client.getSplitFraming(id, s.in_ms, s.out_ms, W, H).then((f) => ({ split: f.regions }));
        p.catch(() => framingCache.current.delete(key));
        framingCache.current.set(key, p);
      }
      return p.catch((e: unknown) => void failures.push(ApiError.describe(e)));
    })).then((all) => {
      if (!live) return;
      setFramings(all.map((f) => f ?? undefined));
      setFramingNote(failures.length ? `Framed in the middle: ${failures[0]}` : undefined);
    });
    return () => {
      live = false;
    };
  }, [client, timeline]);

  const words = useMemo(() => (edit ? spokenWords(edit.words) : []), [edit]);

  if (error) return <ProblemBox problem={error} title="Cannot edit this clip" />;
  if (!data || !edit) return <p>Loading…</p>;

  const set = <K extends keyof ClipEdit>(k: K, v: ClipEdit[K]) => setEdit((x) => (x ? { ...x, [k]: v } : x));
  const setWord = (i: number, said: string) => setEdit((x) => (x ? { ...x, words: x.words.map((w, k) => (k === i ? { ...w, said } : w)) } : x));
  const spanWords = edit.words.map((w, i) => ({ w, i })).filter(({ w }) => w.end_ms > edit.startMs && w.start_ms < edit.endMs);
  const span: ReviewSpan = {
    key: 'clip', start_ms: edit.startMs, end_ms: edit.endMs, detected_start_ms: data.proposed.startMs, detected_end_ms: data.proposed.endMs,
    score: data.proposed.score ?? 0, label: edit.title || 'clip', reasons: [],
  };
  const changed = edit.startMs !== Number(req(data.opened).start_ms) || edit.endMs !== Number(req(data.opened).end_ms) ||
    edit.title !== (req(data.opened).title ?? '') || edit.templateId !== req(data.opened).template_id ||
    edit.format !== (req(data.opened).format ?? 'vertical') || edit.words.some((w) => w.said !== w.heard);

  const render = async () => {
    setBusy(true);
    setError(undefined);
    try {
      attempt.current ??= newClipId('edit');
      const r = versionRequest(req(data.opened), edit, mediaDuration);
      const v = await client.createVersion(data.root.id, r, attempt.current);
      jobs.upsert(v);
      await client.createLabel(editLabel(data.media.id, data.root.id, data.proposed, edit));
      attempt.current = undefined;
      setSaved(v.id);
    } catch (e) {
      setError(ApiError.describe(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="editor-title" className="editor">
      <p><Link to="/clips">← Clips</Link></p>
      <h1 id="editor-title">Edit clip · {edit.title || data.root.id}</h1>
      <p className="muted">From {data.media.filename ?? data.media.id}, {formatMs(data.proposed.startMs, 1)}–{formatMs(data.proposed.endMs, 1)} as proposed
        {data.proposed.score !== undefined ? ` (score ${data.proposed.score.toFixed(2)})` : ''}.</p>
      <div className="editor-body">
        <div className="editor-preview" data-testid="editor-preview">
          {timeline && data.media.url ? (
            <PreviewPlayer timeline={timeline} urls={{ [data.media.uri]: data.media.url }} words={words} label="Preview of the edit"
              framings={framings} prefer={query.get('preview') === '2d' ? '2d' : undefined} />
          ) : <p className="muted">Preparing the preview…</p>}
          {framingNote ? <p className="muted" role="status" data-testid="framing-note">{framingNote}</p> : null}
          {previewError ? <ProblemBox problem={previewError} title="No preview" /> : null}
        </div>
        <form className="editor-form" onSubmit={(e) => { e.preventDefault(); void render(); }}>
          <fieldset>
            <legend>Span</legend>
            <div className="form-grid">
              <label>Start (s)
                <input type="number" step="0.1" min={0} value={edit.startMs / 1000} data-testid="edit-start"
                  onChange={(e) => set('startMs', Math.round(Number(e.target.value) * 1000))} />
              </label>
              <label>End (s)
                <input type="number" step="0.1" min={0} value={edit.endMs / 1000} data-testid="edit-end"
                  onChange={(e) => set('endMs', Math.round(Number(e.target.value) * 1000))} />
              </label>
            </div>
            {mediaDuration > 0 ? (
              <SpanTimeline durationMs={mediaDuration} spans={[span]} selected={0} currentMs={currentMs} onSeek={setCurrentMs}
                onSelect={() => undefined} onChange={(_, s) => setEdit((x) => (x ? { ...x, startMs: s.start_ms, endMs: s.end_ms } : x))}
                onCommit={() => undefined} />
            ) : null}
            <small className="muted">Drag the handles, or Tab to one and use ←/→ (Shift: 1 s).</small>
          </fieldset>
          <label className="block">Title
            <input type="text" value={edit.title} maxLength={500} onChange={(e) => set('title', e.target.value)} data-testid="edit-title" />
          </label>
          <div className="form-grid">
            <label>Template
              <select value={edit.templateId} onChange={(e) => set('templateId', e.target.value)} data-testid="edit-template">
                {(templates ?? []).map((t) => <option key={t.id} value={t.id}>{t.id}</option>)}
                {!templates?.some((t) => t.id === edit.templateId) ? <option value={edit.templateId}>{edit.templateId}</option> : null}
              </select>
            </label>
            <FormatSelect value={edit.format} onChange={(f) => set('format', f)} testId="edit-format" />
          </div>
          <fieldset>
            <legend>Caption words</legend>
            {!edit.captions ? <p className="muted">This clip has no transcript to edit (no captions were made for it).</p> : null}
            {edit.captions ? <p className="muted">Words from {data.wordsFrom}. Words the recogniser was unsure of are marked; empty a word to drop it.</p> : null}
            {edit.captions && !spanWords.length ? <p className="muted">No words are spoken in this span.</p> : null}
            <ul className="caption-words" data-testid="caption-words">
              {spanWords.map(({ w, i }) => (
                <li key={`${w.start_ms}-${i}`} className={w.confidence < 0.6 ? 'word-doubtful' : ''}>
                  <input type="text" value={w.said} size={Math.max(3, w.said.length + 1)} onChange={(e) => setWord(i, e.target.value)}
                    aria-label={`Word at ${formatMs(w.start_ms, 1)}${w.confidence < 0.6 ? `, unsure (${Math.round(w.confidence * 100)} %)` : ''}`}
                    data-testid="caption-word" />
                </li>
              ))}
            </ul>
          </fieldset>
          {error ? <ProblemBox problem={error} title="Not rendered" /> : null}
          {saved ? <p role="status" data-testid="edit-saved">Version started; the edit is saved as a label.</p> : null}
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !changed || !request} data-testid="render-version">
              {busy ? 'Starting…' : 'Render as a new version'}
            </button>
            {!changed ? <small className="muted">Change something to render a new version.</small> : null}
            {changed && !request ? <small className="reason">The span must end after it starts.</small> : null}
            <button type="button" onClick={() => navigate(`/jobs/${encodeURIComponent(data.root.id)}`)}>First render's job</button>
          </div>
        </form>
      </div>
      <h2>Versions</h2>
      <VersionList versions={liveVersions} opened={data.opened.id} />
    </section>
  );
}
