// What the UI needs to know about jobs beyond their schema: which media a job is about, and the
// media:// URI form the server resolves.
import type { Job, JobKind } from '@clipforge/api-client';

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
