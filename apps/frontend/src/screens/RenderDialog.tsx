// The render dialog: pick a template and a format, write a title, and watch a live preview of
// the title and captions over the span playing in the chosen frame; then submit a render job.
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client';
import { ProblemBox, ReasonButton } from '../components/common';
import type { Media, TranscriptSegment } from '../generated/domain';
import { formatMs } from '../lib/format';
import { newClipId } from '../lib/jobs';
import { TEMPLATES, type TemplateInfo } from '../lib/templates';
import { useApi, useKindAvailable } from '../state/api';
import { useJobs } from '../state/jobs';

interface Props {
  media: Media;
  span: { start_ms: number; end_ms: number; label: string };
  segments: TranscriptSegment[];
  onClose: () => void;
  onSubmitted: (jobId: string) => void;
}

/** The caption line at t: the words of the segment being spoken, at most `words` of them around t. */
export function captionAt(segments: TranscriptSegment[], t: number, words = 6): string {
  const seg = segments.find((s) => t >= s.start_ms && t < s.end_ms);
  if (!seg) return '';
  if (!seg.words.length) return seg.text;
  let i = seg.words.findIndex((w) => t < w.end_ms);
  if (i < 0) i = seg.words.length - 1;
  const from = Math.floor(i / words) * words;
  return seg.words.slice(from, from + words).map((w) => w.word).join(' ');
}

export function RenderDialog({ media, span, segments, onClose, onSubmitted }: Props) {
  const { client } = useApi();
  const jobs = useJobs();
  const renderOk = useKindAvailable('render');
  const [template, setTemplate] = useState<TemplateInfo>(TEMPLATES[0]);
  const [format, setFormat] = useState<'vertical' | 'horizontal'>(TEMPLATES[0].format);
  const [title, setTitle] = useState(span.label);
  const [captions, setCaptions] = useState(segments.length > 0);
  const [now, setNow] = useState(span.start_ms);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const video = useRef<HTMLVideoElement>(null);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    box.current?.querySelector<HTMLElement>('input, button')?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  // Loop the span in the preview.
  useEffect(() => {
    const v = video.current;
    if (!v) return;
    const onTime = () => {
      const t = v.currentTime * 1000;
      if (t >= span.end_ms || t < span.start_ms - 500) v.currentTime = span.start_ms / 1000;
      setNow(v.currentTime * 1000);
    };
    v.addEventListener('timeupdate', onTime);
    return () => v.removeEventListener('timeupdate', onTime);
  }, [span.start_ms, span.end_ms]);

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const request: Record<string, unknown> = {
        clip_id: newClipId('render'),
        template_id: template.id,
        source_uri: media.uri,
        start_ms: span.start_ms,
        end_ms: span.end_ms,
        format,
      };
      if (title.trim()) request.title = title.trim();
      const j = await client.createJob('render', request);
      jobs.upsert(j);
      onSubmitted(j.id);
    } catch (e) {
      setError(ApiError.describe(e));
    } finally {
      setBusy(false);
    }
  };

  const caption = captions ? captionAt(segments, now) : '';
  return (
    <div className="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="render-title" ref={box}>
        <div className="row">
          <h2 id="render-title" className="grow">Render {formatMs(span.start_ms)}–{formatMs(span.end_ms)}</h2>
          <button type="button" onClick={onClose} aria-label="Close">✕</button>
        </div>
        <div className="render-body">
          <div className={`preview preview-${format} fit-${template.fit}`} data-testid="render-preview">
            {template.fit === 'blur' && media.url ? <video className="preview-bg" src={`${media.url}#t=${span.start_ms / 1000}`} muted aria-hidden="true" /> : null}
            <video ref={video} className="preview-fg" src={media.url ? `${media.url}#t=${span.start_ms / 1000}` : undefined}
              controls playsInline preload="metadata" />
            {title.trim() ? (
              <div className={`overlay-title pos-${template.titlePosition}`} style={{ background: template.accent }} data-testid="preview-title">
                {title}
              </div>
            ) : null}
            {captions ? (
              <div className={`overlay-captions pos-${template.captionPosition}`} data-testid="preview-captions">
                {caption || (segments.length ? '' : 'Captions appear here')}
              </div>
            ) : null}
          </div>
          <div className="render-form">
            <fieldset>
              <legend>Template</legend>
              {TEMPLATES.map((t) => (
                <label key={t.id} className={`template ${t.id === template.id ? 'template-selected' : ''}`}>
                  <input type="radio" name="template" value={t.id} checked={t.id === template.id}
                    onChange={() => { setTemplate(t); setFormat(t.format); }} />
                  <span><strong>{t.name}</strong><br /><small className="muted">{t.description}</small></span>
                </label>
              ))}
            </fieldset>
            <fieldset>
              <legend>Format</legend>
              {(['vertical', 'horizontal'] as const).map((f) => (
                <label key={f} className="inline">
                  <input type="radio" name="format" value={f} checked={format === f} onChange={() => setFormat(f)} /> {f}
                </label>
              ))}
            </fieldset>
            <label className="block">
              Title
              <input type="text" value={title} maxLength={500} onChange={(e) => setTitle(e.target.value)} data-testid="render-title-input" />
            </label>
            <label className="inline">
              <input type="checkbox" checked={captions} onChange={(e) => setCaptions(e.target.checked)} /> Preview captions
              {!segments.length ? <small className="muted"> (no transcript of this media yet)</small> : null}
            </label>
            {error ? <ProblemBox problem={error} title="Render not started" /> : null}
            <div className="actions">
              <ReasonButton className="primary" disabled={busy || renderOk === false}
                reason={renderOk === false ? 'rendering is not available on this server yet' : undefined}
                onClick={() => void submit()}>
                Render
              </ReasonButton>
              <button type="button" onClick={onClose}>Cancel</button>
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}
