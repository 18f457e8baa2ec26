// The gallery's model: every finished short, once, grouped by the source it was cut from and by
// the autoclip run that made it. An autoclip job's result names its clips (title, score,
// reasons, span) and the files its child render jobs made, so those children are not shown
// again on their own; a render or clip job made outside autoclip is a clip of its own. The
// notes of the results shown (e.g. a source stream left out) go with them: a run's with its group,
// a clip's with its card.
import { AutoclipResultSchema, ArtifactSchema, type Artifact, type Job } from '@clipforge/api-client';
import { formatMs } from '@clipforge/ui';
import { jobMediaUri, resultNotes } from './jobs';

export interface GalleryClip {
  /** The video's storage URI: one clip per video. */
  key: string;
  /** The job whose output the video is (an autoclip clip's render child when known). */
  jobId: string;
  title: string;
  score?: number;
  reasons: string[];
  startMs?: number;
  endMs?: number;
  durationMs?: number;
  video: Artifact;
  poster?: Artifact;
  lowConfidence?: boolean;
  confidenceNote?: string;
  index?: number;
  /** A render (not a plain cut): the clip editor can make new versions of it. */
  editable: boolean;
  /** 1 for a clip never edited; the video, poster, title and span are the newest version's. */
  versions: number;
  /** The job whose output the shown video is (the newest version's). */
  videoJobId: string;
  /** The notes of that job's result (an autoclip clip's are its run's, on the group). */
  notes: string[];
}

export interface GalleryGroup {
  key: string;
  /** The autoclip run, when the group is one. */
  autoclip?: Job;
  /** The run's result notes ([] for clips made one by one: theirs are on their cards). */
  notes: string[];
  /** Jobs whose videos make up the group (for one zip of them all). */
  jobIds: string[];
  clips: GalleryClip[];
  createdAt: string;
}

export interface GallerySection {
  sourceUri: string;
  groups: GalleryGroup[];
}

function artifacts(list: unknown): Artifact[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((a) => {
    const r = ArtifactSchema.safeParse(a);
    return r.success ? [r.data] : [];
  });
}

/** The job id in a storage://jobs/<id>/... URI. */
export function jobOfUri(uri: string): string | undefined {
  return /^storage:\/\/jobs\/([^/]+)\//.exec(uri)?.[1];
}

function spanOf(job: Job): { start?: number; end?: number } {
  const r = job.request as { start_ms?: unknown; end_ms?: unknown; operations?: unknown };
  if (typeof r.start_ms === 'number' && typeof r.end_ms === 'number') return { start: r.start_ms, end: r.end_ms };
  const trim = Array.isArray(r.operations) ? (r.operations as { op?: string; start_ms?: number; end_ms?: number }[]).find((o) => o.op === 'trim') : undefined;
  return trim ? { start: trim.start_ms, end: trim.end_ms } : {};
}

function autoclipClips(job: Job): GalleryClip[] {
  const r = AutoclipResultSchema.safeParse(job.result);
  if (!r.success) return [];
  return r.data.clips.flatMap((c) => {
    const outs = artifacts(c.outputs);
    const video = outs.find((a) => a.kind === 'video');
    if (c.status !== 'succeeded' || !video) return [];
    return [{
      key: video.uri, jobId: jobOfUri(video.uri) ?? job.id, title: c.title, score: c.score, reasons: c.reasons,
      startMs: c.start_ms, endMs: c.end_ms, durationMs: video.duration_ms ?? c.end_ms - c.start_ms, video,
      poster: outs.find((a) => a.kind === 'thumbnail'), index: c.index, lowConfidence: c.low_confidence,
      confidenceNote: c.confidence_note, editable: !!jobOfUri(video.uri), versions: 1, videoJobId: jobOfUri(video.uri) ?? job.id,
      notes: [],
    }];
  });
}

function singleClip(job: Job): GalleryClip | undefined {
  const res = (job.result ?? {}) as { artifacts?: unknown; outputs?: unknown };
  const outs = [...artifacts(res.artifacts), ...artifacts(res.outputs)];
  const video = outs.find((a) => a.kind === 'video');
  if (!video) return undefined;
  const { start, end } = spanOf(job);
  const title = (job.request as { title?: unknown }).title;
  return {
    key: video.uri, jobId: job.id, reasons: [], startMs: start, endMs: end, video,
    title: typeof title === 'string' && title ? title : start !== undefined && end !== undefined ? `Clip ${formatMs(start, 0)}–${formatMs(end, 0)}` : 'Clip',
    durationMs: video.duration_ms ?? (start !== undefined && end !== undefined ? end - start : undefined),
    poster: outs.find((a) => a.kind === 'thumbnail'), editable: job.kind === 'render', versions: 1, videoJobId: job.id,
    notes: resultNotes(job),
  };
}

/** A clip shown as its newest finished version (the clip editor's renders of it). */
function newest(c: GalleryClip, versions: Job[] | undefined): GalleryClip {
  const done = (versions ?? []).filter((v) => v.status === 'succeeded');
  const last = done.length ? singleClip(done[done.length - 1]) : undefined;
  if (!last) return { ...c, versions: 1 + (versions?.length ?? 0) };
  return { ...c, video: last.video, poster: last.poster ?? c.poster, title: last.title, startMs: last.startMs, endMs: last.endMs,
    durationMs: last.durationMs, versions: 1 + (versions?.length ?? 0), videoJobId: last.jobId, notes: last.notes };
}

/** Sections by source (newest work first), each with its autoclip runs and a group of the
 *  clips made one at a time; no video appears twice. */
export function galleryOf(jobs: Job[]): GallerySection[] {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  // versions: renders whose parent is a render (the clip they re-render), oldest first
  const versionsOf = new Map<string, Job[]>();
  for (const j of [...jobs].sort((a, b) => a.created_at.localeCompare(b.created_at)))
    if (j.kind === 'render' && j.parent_id && byId.get(j.parent_id)?.kind === 'render')
      versionsOf.set(j.parent_id, [...(versionsOf.get(j.parent_id) ?? []), j]);
  const isVersion = (j: Job) => j.kind === 'render' && !!j.parent_id && byId.get(j.parent_id)?.kind === 'render';
  const done = jobs.filter((j) => j.status === 'succeeded' && !isVersion(j)).sort((a, b) => b.created_at.localeCompare(a.created_at));
  const seen = new Set<string>();
  const groups = new Map<string, GalleryGroup & { source: string }>();
  const take = (clips: GalleryClip[]) => clips.filter((c) => !seen.has(c.key) && seen.add(c.key));
  // autoclip runs first: their clips come with titles, scores and reasons
  for (const j of done.filter((x) => x.kind === 'autoclip')) {
    const clips = take(autoclipClips(j)).map((c) => newest(c, versionsOf.get(c.jobId)));
    if (clips.length) groups.set(j.id, { key: j.id, autoclip: j, notes: resultNotes(j), jobIds: [], clips, createdAt: j.created_at, source: jobMediaUri(j) ?? '' });
  }
  for (const j of done.filter((x) => x.kind === 'render' || x.kind === 'clip_processing')) {
    const first = singleClip(j);
    if (!first || !take([first]).length) continue;
    const c = newest(first, versionsOf.get(j.id));
    const source = jobMediaUri(j) ?? '';
    const key = `singles:${source}`;
    const g = groups.get(key) ?? { key, notes: [], jobIds: [], clips: [], createdAt: j.created_at, source };
    g.clips.push(c);
    groups.set(key, g);
  }
  // one zip of a group holds what it shows: each clip's newest version
  for (const g of groups.values()) g.jobIds = g.clips.map((c) => c.videoJobId);
  const sections = new Map<string, GallerySection>();
  for (const { source, ...g } of [...groups.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))) {
    const s = sections.get(source) ?? { sourceUri: source, groups: [] };
    s.groups.push(g);
    sections.set(source, s);
  }
  return [...sections.values()];
}

/** The URL of one zip of the videos of these jobs (a link the browser follows, so the API key,
 *  when there is one, goes in the query). */
export function archiveUrl(baseUrl: string, jobIds: string[], apiKey?: string): string {
  const token = apiKey ? `&access_token=${encodeURIComponent(apiKey)}` : '';
  return `${baseUrl}/v1/archive?jobs=${jobIds.map(encodeURIComponent).join(',')}${token}`;
}
