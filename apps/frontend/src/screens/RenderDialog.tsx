// The render dialog: pick one of the server's templates (GET /v1/templates) and a format, write
// a title, pick the brand colour, and watch a live preview of the title and captions over the
// span playing in the chosen frame; then submit a render job whose request has been checked
// against the RenderRequest schema.
import { useEffect, useRef, useState } from 'react';
import {
  ApiError,
  type Media,
  type RenderFormat,
  type RenderTemplate,
  type TranscriptSegment,
} from '@clipforge/api-client';
import { Empty, formatMs, ProblemBox, ReasonButton } from '@clipforge/ui';
import { newClipId } from '../lib/jobs';
import { buildRenderRequest, checkRenderRequest, outputSize, previewOf, variable } from '../lib/templates';
import { useApi, useKindAvailable } from '../state/api';
import { useTemplates } from '../state/templates';
import { useJobs } from '../state/jobs';

const HEX_COLOR = /^#[0-9a-f]{6}$/i;
/** Output sizes offered, as fractions of the template's canvas: a draft renders far faster. */
const SIZES = [{ scale: 1, name: 'Full size' }, { scale: 1 / 3, name: 'Draft' }];

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
  const { templates, error: templatesError } = useTemplates();
  const [template, setTemplate] = useState<RenderTemplate | undefined>();
  const [format, setFormat] = useState<RenderFormat>('vertical');
  const [brandColor, setBrandColor] = useState<string | undefined>();
  const [scale, setScale] = useState(1);
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

  const choose = (t: RenderTemplate) => {
    setTemplate(t);
    setFormat(t.format);
    setBrandColor(variable(t, 'brand_color')?.default_value);
  };

  // The first template once they are known.
  useEffect(() => {
    if (!template && templates?.length) choose(templates[0]);
  }, [template, templates]);

  const submit = async () => {
    if (!template) return;
    setBusy(true);
    setError(undefined);
    try {
      const request = buildRenderRequest({ clipId: newClipId('render'), sourceUri: media.uri, span, template, format, title, brandColor, scale });
      const bad = checkRenderRequest(request);
      if (bad) throw new Error(`the request is not a valid RenderRequest: ${bad}`);
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
  const look = template ? previewOf(template, format, brandColor) : undefined;
  const titleVar = template ? variable(template, 'title') : undefined;
  const brandVar = template ? variable(template, 'brand_color') : undefined;
  return (
    <div className="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="render-title" ref={box}>
        <div className="row">
          <h2 id="render-title" className="grow">Render {formatMs(span.start_ms)}–{formatMs(span.end_ms)}</h2>
          <button type="button" onClick={onClose} aria-label="Close">✕</button>
        </div>
        <div className="render-body">
          <div className={`preview preview-${format} fit-${look?.fit ?? 'contain'}`} data-testid="render-preview"
            style={look ? { aspectRatio: `${look.width} / ${look.height}` } : undefined}>
            {look?.fit === 'blur' && media.url ? <video className="preview-bg" src={`${media.url}#t=${span.start_ms / 1000}`} muted aria-hidden="true" /> : null}
            <video ref={video} className="preview-fg" src={media.url ? `${media.url}#t=${span.start_ms / 1000}` : undefined}
              controls playsInline preload="metadata" />
            {look && titleVar && title.trim() ? (
              <div className={`overlay-title pos-${look.titlePosition}`} style={{ background: look.accent }} data-testid="preview-title">
                {title}
              </div>
            ) : null}
            {look && captions ? (
              <div className={`overlay-captions pos-${look.captionPosition}`} data-testid="preview-captions">
                {caption || (segments.length ? '' : 'Captions appear here')}
              </div>
            ) : null}
          </div>
          <div className="render-form">
            <fieldset>
              <legend>Template</legend>
              {templatesError ? <ProblemBox problem={templatesError} title="Templates not loaded" /> : null}
              {!templates ? <Empty>Loading templates…</Empty> : null}
              {templates && !templates.length && !templatesError ? <Empty>This server has no rendering templates.</Empty> : null}
              {templates?.map((t) => (
                <label key={t.id} className={`template ${t.id === template?.id ? 'template-selected' : ''}`}>
                  <input type="radio" name="template" value={t.id} checked={t.id === template?.id} onChange={() => choose(t)} />
                  <span>
                    <strong>{t.id}</strong> <small className="muted">{t[t.format].width}×{t[t.format].height}</small><br />
                    {t.description ? <small className="muted">{t.description}</small> : null}
                  </span>
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
            {template ? (
              <label className="inline">
                Size{' '}
                <select value={scale} onChange={(e) => setScale(Number(e.target.value))} data-testid="render-size">
                  {SIZES.map((o) => {
                    const sz = outputSize(template, format, o.scale);
                    return <option key={o.name} value={o.scale}>{o.name} ({sz.width}×{sz.height})</option>;
                  })}
                </select>
              </label>
            ) : null}
            <label className="block">
              Title
              <input type="text" value={title} maxLength={500} onChange={(e) => setTitle(e.target.value)} data-testid="render-title-input"
                disabled={!!template && !titleVar} />
              {template && !titleVar ? <small className="muted"> ({template.id} shows no title)</small> : null}
            </label>
            {brandVar ? (
              <label className="inline">
                Brand colour{' '}
                <input type={HEX_COLOR.test(brandColor ?? '') ? 'color' : 'text'} value={brandColor ?? ''} maxLength={32}
                  onChange={(e) => setBrandColor(e.target.value)} data-testid="render-brand-color" />
              </label>
            ) : null}
            <label className="inline">
              <input type="checkbox" checked={captions} onChange={(e) => setCaptions(e.target.checked)} /> Preview captions
              {!segments.length ? <small className="muted"> (no transcript of this media yet)</small> : null}
            </label>
            {error ? <ProblemBox problem={error} title="Render not started" /> : null}
            <div className="actions">
              <ReasonButton className="primary" disabled={busy || renderOk === false || !template}
                reason={renderOk === false ? 'rendering is not available on this server yet' : !template ? 'pick a template' : undefined}
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
