// What the UI needs to know about jobs beyond their schema: which media a job is about, the
// media:// URI form the server resolves, and the notes a result carries.
import {
  AutoclipResultSchema,
  ClipProcessingResultSchema,
  HighlightDetectionResultSchema,
  type Job,
  type JobKind,
  RenderResultSchema,
  TranscriptionResultSchema,
} from '@clipforge/api-client';

/** The media URI a job works on (media_uri or source_uri of its request). */
export function jobMediaUri(job: Job): string | undefined {
  const r = job.request as { media_uri?: unknown; source_uri?: unknown };
  if (typeof r.media_uri === 'string') return r.media_uri;
  if (typeof r.source_uri === 'string') return r.source_uri;
  return undefined;
}

export const KIND_NAMES: Record<JobKind, string> = {
  clip_processing: 'Clip',
  highlight_detection: 'Highlights',
  transcription: 'Transcript',
  render: 'Render',
  autoclip: 'Autoclip',
  noop: 'No-op',
};

/** A short id for a new request's clip_id. */
export function newClipId(prefix: string): string {
  const rand = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${Date.now().toString(36)}-${rand}`;
}

/** The notes member of each result schema that has one. Only that member is read, so the notes
 *  show even when a result has members this UI's schema does not know. */
const NOTES_SCHEMA: Partial<Record<JobKind, typeof ClipProcessingResultSchema.shape.notes>> = {
  clip_processing: ClipProcessingResultSchema.shape.notes,
  highlight_detection: HighlightDetectionResultSchema.shape.notes,
  transcription: TranscriptionResultSchema.shape.notes,
  render: RenderResultSchema.shape.notes,
  autoclip: AutoclipResultSchema.shape.notes,
};

/** What a job's result says a caller should know (e.g. the source streams it left out), read
 *  through its kind's result schema; [] when the result has no notes or is not there yet. */
export function resultNotes(job: Pick<Job, 'kind' | 'result'>): string[] {
  const r = NOTES_SCHEMA[job.kind]?.safeParse(job.result?.notes);
  return r?.success ? r.data : [];
}
