// The clip editor's model: the words of a clip's captions as the recogniser heard them and as the
// editor leaves them, the RenderRequest of a new version, and the label that records the edit
// (training data for detection, titles and speech recognition). Pure functions.
import {
  RenderRequestSchema,
  type CaptionFix,
  type LabelCreateInput,
  type RenderRequestInput,
  type Transcript,
  type TranscriptWord,
} from '@clipforge/api-client';

/** A caption word in the editor: what was heard, what it says now. */
export interface EditWord {
  start_ms: number;
  end_ms: number;
  heard: string;
  said: string;
  confidence: number;
}

export function editWords(words: TranscriptWord[], fromMs: number, toMs: number): EditWord[] {
  return words
    .filter((w) => w.end_ms > fromMs && w.start_ms < toMs)
    .map((w) => ({ start_ms: w.start_ms, end_ms: w.end_ms, heard: w.word, said: w.word, confidence: w.confidence }));
}

/** Words as the captions should show them: a word the editor typed is certain (confidence 1),
 *  an emptied one is gone. */
export function spokenWords(words: EditWord[]): TranscriptWord[] {
  return words
    .map((w) => ({ w, text: w.said.trim() }))
    .filter(({ text }) => text.length > 0)
    .map(({ w, text }) => ({ word: text, start_ms: w.start_ms, end_ms: w.end_ms, confidence: text === w.heard ? w.confidence : 1 }));
}

/** The words the editor changed, as the label's caption_fixes. */
export function captionFixes(words: EditWord[]): CaptionFix[] {
  return words.filter((w) => w.said.trim() !== w.heard).map((w) => ({ start_ms: w.start_ms, end_ms: w.end_ms, heard: w.heard, said: w.said.trim() }));
}

/** An inline transcript of the span's words (source times) for the render. */
export function spanTranscript(words: TranscriptWord[], durationMs: number, language = 'en-us'): Transcript {
  const segments = words.length
    ? [{ start_ms: words[0].start_ms, end_ms: words[words.length - 1].end_ms, text: words.map((w) => w.word).join(' '), words }]
    : [];
  return { language, model: 'edited', duration_ms: durationMs, segments };
}

export interface ClipEdit {
  startMs: number;
  endMs: number;
  title: string;
  templateId: string;
  format: 'vertical' | 'horizontal';
  words: EditWord[];
  /** Whether the clip has captions to edit (a transcript was found). */
  captions: boolean;
}

/** The RenderRequest of a new version: the base request (source, size, brand) with the edit. */
export function versionRequest(base: Record<string, unknown>, e: ClipEdit, mediaDurationMs: number): RenderRequestInput {
  const keep = ['clip_id', 'source_uri', 'width', 'height', 'brand_color', 'logo_uri', 'font', 'music_uri'] as const;
  const r: Record<string, unknown> = {};
  for (const k of keep) if (base[k] !== undefined) r[k] = base[k];
  r.template_id = e.templateId;
  r.format = e.format;
  r.start_ms = Math.round(e.startMs);
  r.end_ms = Math.round(e.endMs);
  if (e.title.trim()) r.title = e.title.trim();
  if (e.captions) r.transcript = spanTranscript(spokenWords(e.words), mediaDurationMs);
  const check = RenderRequestSchema.safeParse(r);
  if (!check.success) {
    const i = check.error.issues[0];
    throw new Error(`${i.path.join('.') || 'request'}: ${i.message}`);
  }
  return r as RenderRequestInput;
}

export interface Proposed {
  startMs: number;
  endMs: number;
  title?: string;
  score?: number;
  modelVersion?: string;
  /** The job that proposed the clip (autoclip, or highlight detection). */
  jobId?: string;
}

/** The edit as a label: the clip as proposed and as the editor left it. */
export function editLabel(mediaId: string, clipJobId: string, proposed: Proposed, e: ClipEdit): LabelCreateInput {
  const l: LabelCreateInput = {
    media_id: mediaId, source: 'clip_edit', clip_job_id: clipJobId, verdict: 'accept',
    start_ms: Math.round(e.startMs), end_ms: Math.round(e.endMs),
    detected_start_ms: proposed.startMs, detected_end_ms: proposed.endMs,
    caption_fixes: captionFixes(e.words),
  };
  if (proposed.jobId) l.job_id = proposed.jobId;
  if (proposed.score !== undefined) l.score = proposed.score;
  if (proposed.modelVersion) l.model_version = proposed.modelVersion;
  if (e.title.trim()) l.title = e.title.trim();
  if (proposed.title) l.detected_title = proposed.title;
  return l;
}
