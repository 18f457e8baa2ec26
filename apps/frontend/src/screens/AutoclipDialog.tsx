// The autoclip dialog: how many shorts, how long, which template and detection profile,
// captions on or off (from the file's own subtitles when it has them, or from a transcript file
// the user brings, uploaded first), jump cuts over the pauses
// (remove_silence), and whether only clear moments
// may make a short (min_score). The request is checked against the generated AutoclipRequest
// schema before it is sent.
import { useState } from 'react';
import {
  ApiError,
  type AutoclipRequestInput,
  AutoclipRequestSchema,
  type DetectionProfile,
  DetectionProfileValues,
  type Media,
  type RenderFormat,
} from '@clipforge/api-client';
import { FormatSelect, Modal, ProblemBox, ReasonButton } from '@clipforge/ui';
import { newClipId } from '../lib/jobs';
import { outputSize } from '../lib/templates';
import { useApi, useKindAvailable } from '../state/api';
import { useJobs } from '../state/jobs';
import { useTemplates } from '../state/templates';

export interface AutoclipChoice {
  count: number;
  minSeconds: string;
  maxSeconds: string;
  templateId: string;
  profile: DetectionProfile;
  format: RenderFormat;
  /** Output size as a fraction of the template's canvas (1: the template's own). */
  scale: number;
  captions: boolean;
  subtitles: boolean;
  removeSilence: boolean;
  strict: boolean;
  minScore: string;
}

export const DEFAULT_CHOICE: AutoclipChoice = {
  count: 3, minSeconds: '', maxSeconds: '', templateId: 'shorts-blur', profile: 'generic', format: 'vertical', scale: 1,
  captions: true, subtitles: true, removeSilence: false, strict: false, minScore: '0.5',
};

/** The AutoclipRequest of a choice (transcriptUri: an uploaded transcript's); throws with the
 *  field and reason when it is not valid. */
export function autoclipRequest(mediaUri: string, c: AutoclipChoice, size?: { width: number; height: number },
  transcriptUri?: string): AutoclipRequestInput {
  const r: AutoclipRequestInput = {
    clip_id: newClipId('auto'), media_uri: mediaUri, count: c.count, template_id: c.templateId, profile: c.profile,
    format: c.format, captions: c.captions, subtitles: c.subtitles, remove_silence: c.removeSilence,
  };
  const ms = (v: string) => (v.trim() === '' ? undefined : Math.round(Number(v) * 1000));
  const lo = ms(c.minSeconds);
  const hi = ms(c.maxSeconds);
  if (lo !== undefined) r.min_length_ms = lo;
  if (hi !== undefined) r.max_length_ms = hi;
  if (c.strict) r.min_score = Number(c.minScore);
  if (size) Object.assign(r, size);
  if (transcriptUri && c.captions) r.transcript_uri = transcriptUri;
  const check = AutoclipRequestSchema.safeParse(r);
  if (!check.success) {
    const i = check.error.issues[0];
    const names: Record<string, string> = { min_length_ms: 'Shortest', max_length_ms: 'Longest', min_score: 'Least score', count: 'Shorts' };
    const field = String(i.path[0] ?? '');
    throw new Error(`${names[field] ?? field}: ${i.message.replace(/\d{4,}/g, (n) => `${Number(n) / 1000} s`)}`);
  }
  return r;
}

const SIZES = [{ scale: 1, name: 'Full size' }, { scale: 1 / 3, name: 'Draft' }];

export function AutoclipDialog({ media, onClose, onSubmitted }: { media: Media; onClose: () => void; onSubmitted: (jobId: string) => void }) {
  const { client } = useApi();
  const jobs = useJobs();
  const available = useKindAvailable('autoclip');
  const { templates, error: templatesError } = useTemplates();
  const [c, setC] = useState<AutoclipChoice>(DEFAULT_CHOICE);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [transcript, setTranscript] = useState<File | undefined>();
  const set = <K extends keyof AutoclipChoice>(k: K, v: AutoclipChoice[K]) => setC((x) => ({ ...x, [k]: v }));
  const template = templates?.find((t) => t.id === c.templateId);

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const size = template && c.scale !== 1 ? outputSize(template, c.format, c.scale) : undefined;
      autoclipRequest(media.uri, c, size); // the form's own mistakes before any upload
      const words = transcript && c.captions ? (await client.uploadTranscript(transcript)).uri : undefined;
      const j = await client.createJob('autoclip', autoclipRequest(media.uri, c, size, words));
      jobs.upsert(j);
      onSubmitted(j.id);
    } catch (e) {
      setError(ApiError.describe(e));
      setBusy(false);
    }
  };

  return (
    <Modal title={`Autoclip ${media.filename ?? media.id}`} onClose={onClose} className="modal-form" testId="autoclip-dialog">
      <form className="autoclip-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <div className="form-grid">
          <label>Shorts
            <input type="number" min={1} max={20} value={c.count} onChange={(e) => set('count', Number(e.target.value))} data-testid="ac-count" />
          </label>
          <label>Shortest (s)
            <input type="number" min={1} max={600} step="0.5" placeholder="profile's" value={c.minSeconds}
              onChange={(e) => set('minSeconds', e.target.value)} data-testid="ac-min" aria-describedby="ac-len-help" />
          </label>
          <label>Longest (s)
            <input type="number" min={1} max={600} step="0.5" placeholder="profile's" value={c.maxSeconds}
              onChange={(e) => set('maxSeconds', e.target.value)} data-testid="ac-max" aria-describedby="ac-len-help" />
          </label>
          <label>Template
            <select value={c.templateId} onChange={(e) => set('templateId', e.target.value)} data-testid="ac-template">
              {(templates ?? [{ id: c.templateId, description: undefined }]).map((t) => <option key={t.id} value={t.id}>{t.id}</option>)}
            </select>
          </label>
          <label>Profile
            <select value={c.profile} onChange={(e) => set('profile', e.target.value as DetectionProfile)} data-testid="ac-profile">
              {DetectionProfileValues.map((p) => <option key={p} value={p}>{p}</option>)}
            </select>
          </label>
          <FormatSelect value={c.format} onChange={(f) => set('format', f)} testId="ac-format" />
          <label>Size
            <select value={c.scale} onChange={(e) => set('scale', Number(e.target.value))} data-testid="ac-size" disabled={!template}>
              {SIZES.map((o) => {
                const sz = template ? outputSize(template, c.format, o.scale) : undefined;
                return <option key={o.name} value={o.scale}>{o.name}{sz ? ` (${sz.width}×${sz.height})` : ''}</option>;
              })}
            </select>
          </label>
        </div>
        <small className="muted" id="ac-len-help">Empty lengths take the profile's bounds.</small>
        {template?.description ? <p className="muted">{template.description}</p> : null}
        {templatesError ? <ProblemBox problem={templatesError} title="Templates not loaded" /> : null}
        <fieldset className="checks">
          <legend>Options</legend>
          <label className="inline">
            <input type="checkbox" checked={c.captions} onChange={(e) => set('captions', e.target.checked)} data-testid="ac-captions" />
            Captions (transcribe and burn in the spoken words)
          </label>
          <label className="inline">
            <input type="checkbox" checked={c.subtitles} disabled={!c.captions || !!transcript} onChange={(e) => set('subtitles', e.target.checked)} data-testid="ac-subtitles" />
            From the file's own subtitles when it has them (read, not recognised)
          </label>
          <label className="inline" aria-describedby="ac-transcript-help">Transcript file
            <input type="file" accept=".srt,.vtt,.json,application/x-subrip,text/vtt,application/json" disabled={!c.captions}
              onChange={(e) => setTranscript(e.target.files?.[0])} data-testid="ac-transcript" />
          </label>
          <small className="muted" id="ac-transcript-help">Your own SRT, WebVTT or transcript JSON of this video: its words make the captions and titles instead of speech recognition.</small>
          <label className="inline" aria-describedby="ac-silence-help">
            <input type="checkbox" checked={c.removeSilence} onChange={(e) => set('removeSilence', e.target.checked)} data-testid="ac-silences" />
            Remove silences
          </label>
          <small className="muted" id="ac-silence-help">Jump cuts: each short skips its pauses of 0.6 s or more, keeping the words whole; the captions follow.</small>
          <label className="inline">
            <input type="checkbox" checked={c.strict} onChange={(e) => set('strict', e.target.checked)} data-testid="ac-strict" />
            Only clear moments: fail rather than make low-confidence shorts
          </label>
          {c.strict ? (
            <label className="inline">Least score (0–1)
              <input type="number" min={0} max={1} step="0.05" value={c.minScore} onChange={(e) => set('minScore', e.target.value)} data-testid="ac-min-score" />
            </label>
          ) : <small className="muted">When fewer moments are clear than shorts asked for, the best others make up the count, marked low-confidence with the reason.</small>}
        </fieldset>
        {error ? <ProblemBox problem={error} title="Autoclip not started" /> : null}
        <div className="actions">
          <ReasonButton type="submit" className="primary" disabled={busy || !available}
            reason={available === false ? 'Autoclip is not available on this server' : undefined}>
            {busy ? 'Starting…' : `Make ${c.count} short${c.count === 1 ? '' : 's'}`}
          </ReasonButton>
          <button type="button" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Modal>
  );
}
