// Highlight review: the media in a player, its waveform with the detector's score curve (its own
// when the result carries score_curve, else the spans' scores over their extent), the
// highlight spans on a timeline with their reasons, the result's notes (e.g. an audio track the
// detector did not hear). Each span can be played, accepted, rejected or have its boundaries
// dragged; every verdict is saved as a label (POST /v1/labels), the training data of highlight
// detection.
// Keys: Space play/pause · J back 5 s · K pause · L play (again: faster) · A accept · R reject ·
// Enter play the span · [ / ] set its start / end at the playhead · arrows on the timeline.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  ContractError,
  type HighlightDetectionResult,
  HighlightDetectionResultSchema,
  type Job,
  type Label,
  type Media,
  type MediaFilmstrip,
  TranscriptionResultSchema,
  type TranscriptSegment,
} from '@clipforge/api-client';
import {
  AudioEventsBand,
  FilmstripTrack,
  formatMs,
  moveBoundary,
  type PeaksState,
  ProblemBox,
  ReasonButton,
  type ReviewSpan,
  Timeline,
  type Verdict,
  Waveform,
} from '@clipforge/ui';
import { ResultNotes } from '../components/ResultNotes';
import { peaks as bucketPeaks, resampleCurve, scoreCurve } from '../lib/audio';
import { filmstripOf } from '../lib/library';
import { mediaIdFromUri, probeDurationMs, probeHasVideo } from '../lib/format';
import { jobMediaUri, newClipId } from '../lib/jobs';
import { Link, useRouter } from '../lib/router';
import { useApi, useKindAvailable } from '../state/api';
import { UI_AUDIO_EVENTS, useFlag } from '../state/flags';
import { useJobs } from '../state/jobs';
import { RenderDialog } from './RenderDialog';

const PEAK_BUCKETS = 800;

/** Review spans from detected highlights, with the latest saved label of each applied. */
export function spansFrom(result: HighlightDetectionResult, labels: Label[]): ReviewSpan[] {
  return result.highlights.map((h, i) => {
    const mine = labels
      .filter((l) => (l.detected_start_ms ?? l.start_ms) === h.start_ms && (l.detected_end_ms ?? l.end_ms) === h.end_ms)
      .sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
    const last = mine[mine.length - 1];
    return {
      key: `${i}-${h.start_ms}-${h.end_ms}`,
      start_ms: last?.start_ms ?? h.start_ms,
      end_ms: last?.end_ms ?? h.end_ms,
      detected_start_ms: h.start_ms,
      detected_end_ms: h.end_ms,
      score: h.score,
      label: h.label,
      reasons: h.reasons,
      verdict: last?.verdict,
    };
  });
}

interface Loaded {
  job: Job;
  result: HighlightDetectionResult;
  media: Media;
  labelsAvailable: boolean;
  labels: Label[];
}

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function ReviewScreen({ jobId }: { jobId: string }) {
  const { client } = useApi();
  // the audio-events band is behind a feature flag (on unless the server turns it off)
  const audioEvents = useFlag(UI_AUDIO_EVENTS, true);
  const jobs = useJobs();
  const { navigate } = useRouter();
  const [data, setData] = useState<Loaded | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [spans, setSpans] = useState<ReviewSpan[]>([]);
  const [selected, setSelected] = useState(0);
  const [currentMs, setCurrentMs] = useState(0);
  const [durationMs, setDurationMs] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [peaks, setPeaks] = useState<PeaksState>({ state: 'loading' });
  const [strip, setStrip] = useState<MediaFilmstrip | undefined>();
  const [saving, setSaving] = useState<string | undefined>();
  const [saveError, setSaveError] = useState<string | undefined>();
  const [renderOpen, setRenderOpen] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const stopAt = useRef<number | undefined>(undefined);
  const clipOk = useKindAvailable('clip_processing');

  // Load the job, its result, the media and the labels saved so far.
  useEffect(() => {
    let live = true;
    (async () => {
      const job = await client.getJob(jobId);
      if (job.kind !== 'highlight_detection') throw new Error(`job ${jobId} is a ${job.kind} job, not highlight detection`);
      if (job.status !== 'succeeded') throw new Error(`job ${jobId} is ${job.status}: nothing to review yet`);
      const parsed = HighlightDetectionResultSchema.safeParse(job.result);
      if (!parsed.success) throw new ContractError(`result of ${jobId}`, parsed.error.issues);
      const mediaId = mediaIdFromUri(jobMediaUri(job));
      if (!mediaId) throw new Error(`job ${jobId} does not name an uploaded media file`);
      const media = await client.getMedia(mediaId);
      let labels: Label[] = [];
      let labelsAvailable = true;
      try {
        labels = await client.listLabels(mediaId);
      } catch (e) {
        if (e instanceof ApiError && (e.status === 404 || e.status === 405)) labelsAvailable = false;
        else throw e;
      }
      return { job, result: parsed.data, media, labels, labelsAvailable };
    })().then(
      (d) => {
        if (!live) return;
        setData(d);
        setSpans(spansFrom(d.result, d.labels));
        setDurationMs(probeDurationMs(d.media.probe) ?? 0);
      },
      (e: unknown) => live && setLoadError(ApiError.describe(e)),
    );
    return () => {
      live = false;
    };
  }, [client, jobId]);

  // The waveform and filmstrip the server made of the media (once; later visits read them back).
  const mediaId = data?.media.id;
  useEffect(() => {
    if (!mediaId) return;
    let live = true;
    client.getWaveform(mediaId).then(
      (w) => live && setPeaks({ state: 'ready', peaks: bucketPeaks(Float32Array.from(w.peaks), PEAK_BUCKETS) }),
      (e: unknown) => live && setPeaks({ state: 'none', why: ApiError.describe(e) }),
    );
    if (probeHasVideo(data?.media.probe)) void filmstripOf(client, mediaId).then((f) => live && setStrip(f));
    return () => {
      live = false;
    };
  }, [client, mediaId]);

  // The playhead follows the video smoothly while it plays, and stops at the end of a played span.
  useEffect(() => {
    if (!playing) return;
    let raf = 0;
    const tick = () => {
      const v = video.current;
      if (v) {
        const t = v.currentTime * 1000;
        if (stopAt.current !== undefined && t >= stopAt.current) {
          v.pause();
          stopAt.current = undefined;
        }
        setCurrentMs(t);
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [playing]);

  const transcript: TranscriptSegment[] = useMemo(() => {
    if (!data) return [];
    const t = jobs.jobs.find((j) => j.kind === 'transcription' && j.status === 'succeeded' && jobMediaUri(j) === data.media.uri);
    const r = t ? TranscriptionResultSchema.safeParse(t.result) : undefined;
    return r?.success ? r.data.transcript.segments : [];
  }, [data, jobs.jobs]);

  const seek = useCallback((ms: number) => {
    const v = video.current;
    stopAt.current = undefined;
    if (v) v.currentTime = ms / 1000;
    setCurrentMs(ms);
  }, []);

  const playSpan = useCallback((i: number) => {
    const s = spans[i];
    const v = video.current;
    if (!s || !v) return;
    setSelected(i);
    v.currentTime = s.start_ms / 1000;
    stopAt.current = s.end_ms;
    void v.play().catch(() => undefined);
  }, [spans]);

  const save = useCallback(async (i: number, verdict: Verdict, span?: ReviewSpan) => {
    const s = span ?? spans[i];
    if (!s || !data) return;
    setSpans((xs) => xs.map((x, k) => (k === i ? { ...x, verdict } : x)));
    if (!data.labelsAvailable) {
      setSaveError('This server has no labels route: the verdict is shown but not saved.');
      return;
    }
    setSaving(s.key);
    setSaveError(undefined);
    try {
      await client.createLabel({
        media_id: data.media.id,
        job_id: data.job.id,
        start_ms: s.start_ms,
        end_ms: s.end_ms,
        verdict,
        detected_start_ms: s.detected_start_ms,
        detected_end_ms: s.detected_end_ms,
        score: s.score,
        model_version: data.result.model_version,
      });
    } catch (e) {
      setSaveError(`Not saved: ${ApiError.describe(e)}`);
    } finally {
      setSaving(undefined);
    }
  }, [client, data, spans]);

  const setBoundary = useCallback((edge: 'start' | 'end') => {
    setSpans((xs) => xs.map((x, k) => (k === selected ? moveBoundary(x, edge, currentMs, durationMs || x.end_ms) : x)));
  }, [selected, currentMs, durationMs]);

  // After a boundary moved, a span that already has a verdict is saved again with its new bounds.
  const commit = useCallback((i: number) => {
    const s = spans[i];
    if (s?.verdict) void save(i, s.verdict, s);
  }, [spans, save]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (renderOpen || e.defaultPrevented || isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const v = video.current;
      if (!v) return;
      const k = e.key.toLowerCase();
      if (e.key === ' ') {
        if (v.paused) void v.play().catch(() => undefined);
        else v.pause();
      } else if (k === 'j') {
        seek(Math.max(0, v.currentTime * 1000 - 5000));
      } else if (k === 'k') {
        v.pause();
      } else if (k === 'l') {
        if (!v.paused) v.playbackRate = v.playbackRate >= 2 ? 1 : v.playbackRate + 0.5;
        else v.playbackRate = 1;
        void v.play().catch(() => undefined);
      } else if (k === 'a') {
        void save(selected, 'accept');
      } else if (k === 'r') {
        void save(selected, 'reject');
      } else if (e.key === 'Enter' && (e.target as HTMLElement).tagName !== 'BUTTON' && (e.target as HTMLElement).tagName !== 'A') {
        playSpan(selected);
      } else if (e.key === '[') {
        setBoundary('start');
      } else if (e.key === ']') {
        setBoundary('end');
      } else {
        return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [renderOpen, seek, save, selected, playSpan, setBoundary]);

  // The span as a plain trimmed clip (no template): a clip_processing job.
  const cutClip = useCallback(async (s: ReviewSpan) => {
    if (!data) return;
    try {
      const j = await client.createJob('clip_processing', {
        clip_id: newClipId('clip'),
        source_uri: data.media.uri,
        target_format: 'mp4',
        operations: [{ op: 'trim', start_ms: s.start_ms, end_ms: s.end_ms }, { op: 'thumbnail', at_ms: Math.round((s.end_ms - s.start_ms) / 2) }],
      });
      jobs.upsert(j);
      navigate(`/jobs/${encodeURIComponent(j.id)}`);
    } catch (e) {
      setSaveError(`Clip not started: ${ApiError.describe(e)}`);
    }
  }, [client, data, jobs, navigate]);

  // The detector's own curve when its result has one; otherwise the spans' scores over their extent.
  const curve = data?.result.score_curve;
  const scores = useMemo(
    () => (curve ? resampleCurve(curve, durationMs, PEAK_BUCKETS) : scoreCurve(spans, durationMs, PEAK_BUCKETS)),
    [curve, spans, durationMs],
  );

  if (loadError) return <ProblemBox problem={loadError} title="Cannot review" />;
  if (!data) return <p>Loading…</p>;
  const cur = spans[selected];

  return (
    <section aria-labelledby="review-title" className="review">
      <p><Link to={`/jobs/${encodeURIComponent(jobId)}`}>← Job {jobId}</Link></p>
      <h1 id="review-title">Review highlights · {data.media.filename ?? data.media.id}</h1>
      <p className="muted">
        {spans.length} highlights by {data.result.engine} ({data.result.model_version}) ·{' '}
        <kbd>Space</kbd> play · <kbd>J</kbd>/<kbd>K</kbd>/<kbd>L</kbd> · <kbd>A</kbd> accept · <kbd>R</kbd> reject ·{' '}
        <kbd>Enter</kbd> play span · <kbd>[</kbd>/<kbd>]</kbd> set bounds
      </p>
      <ResultNotes notes={data.result.notes} />
      <div className="player">
        <video
          ref={video}
          src={data.media.url}
          controls
          playsInline
          preload="auto"
          data-testid="review-video"
          onLoadedMetadata={(e) => {
            const d = e.currentTarget.duration;
            if (Number.isFinite(d) && d > 0) setDurationMs(Math.round(d * 1000));
          }}
          onPlay={() => setPlaying(true)}
          onPause={(e) => {
            setPlaying(false);
            setCurrentMs(e.currentTarget.currentTime * 1000);
          }}
          onSeeked={(e) => setCurrentMs(e.currentTarget.currentTime * 1000)}
        />
        {!data.media.url ? <ProblemBox problem="the server gave no playable URL for this media" /> : null}
      </div>
      <p className="time" aria-live="off">{formatMs(currentMs)} / {formatMs(durationMs)} · {playing ? 'playing' : 'paused'}</p>
      <div className="tracks" data-testid="review-tracks">
        <Waveform peaks={peaks} scores={scores} source={curve ? 'detector' : 'spans'} threshold={curve?.threshold}
          progress={durationMs ? currentMs / durationMs : 0} />
        {audioEvents && data.result.audio_events?.length ? (
          <AudioEventsBand events={data.result.audio_events} durationMs={durationMs} onSeek={seek} />
        ) : null}
        {durationMs > 0 ? (
          <Timeline
            durationMs={durationMs}
            spans={spans}
            selected={selected}
            currentMs={currentMs}
            onSeek={seek}
            onSelect={setSelected}
            onChange={(i, s) => setSpans((xs) => xs.map((x, k) => (k === i ? s : x)))}
            onCommit={commit}
          />
        ) : null}
        {strip && durationMs > 0 ? <FilmstripTrack strip={strip} durationMs={durationMs} onSeek={seek} /> : null}
      </div>
      {saveError ? <ProblemBox problem={saveError} title="Label" /> : null}
      {!data.labelsAvailable ? <p className="muted">Labels cannot be saved: this server has no /v1/labels route.</p> : null}
      <ol className="spans" aria-label="Highlights">
        {spans.map((s, i) => (
          <li key={s.key} className={`span-item ${i === selected ? 'span-item-selected' : ''}`} data-testid="span-item"
            data-verdict={s.verdict ?? ''} aria-current={i === selected ? 'true' : undefined}>
            <div className="row wrap">
              <button type="button" className="link grow" onClick={() => { setSelected(i); seek(s.start_ms); }}>
                <strong>{i + 1}. {s.label}</strong> {formatMs(s.start_ms)}–{formatMs(s.end_ms)}
                {s.start_ms !== s.detected_start_ms || s.end_ms !== s.detected_end_ms ? <em className="muted"> (edited)</em> : null}
              </button>
              <span className="score" title="detector score">{s.score.toFixed(2)}</span>
            </div>
            {s.reasons.length ? <p className="reasons">{s.reasons.join(' · ')}</p> : null}
            <div className="actions">
              <button type="button" onClick={() => playSpan(i)}>▶ Play</button>
              <button type="button" className={s.verdict === 'accept' ? 'primary' : ''} aria-pressed={s.verdict === 'accept'}
                disabled={saving === s.key} onClick={() => void save(i, 'accept')}>Accept</button>
              <button type="button" className={s.verdict === 'reject' ? 'danger' : ''} aria-pressed={s.verdict === 'reject'}
                disabled={saving === s.key} onClick={() => void save(i, 'reject')}>Reject</button>
              <button type="button" onClick={() => { setSelected(i); setRenderOpen(true); }}>Render…</button>
              <ReasonButton disabled={clipOk === false} reason={clipOk === false ? 'clipping is not available' : undefined}
                onClick={() => void cutClip(s)}>Cut clip</ReasonButton>
            </div>
          </li>
        ))}
      </ol>
      {renderOpen && cur ? (
        <RenderDialog
          media={data.media}
          span={cur}
          segments={transcript}
          onClose={() => setRenderOpen(false)}
          onSubmitted={(id) => navigate(`/jobs/${encodeURIComponent(id)}`)}
        />
      ) : null}
    </section>
  );
}
