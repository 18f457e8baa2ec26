// The library's view of the media list: search, sort, and what state each file is in (from the
// jobs run on it). Pure functions, so the screen and the tests share them.
import type { ApiClient, Job, Media, MediaFilmstrip } from '@clipforge/api-client';
import { formatPercent } from '@clipforge/ui';
import { probeDurationMs } from './format';
import { jobMediaUri, KIND_NAMES } from './jobs';

export const SORTS = {
  newest: 'Newest first',
  oldest: 'Oldest first',
  name: 'Name A–Z',
  longest: 'Longest first',
  shortest: 'Shortest first',
  largest: 'Largest first',
} as const;
export type SortKey = keyof typeof SORTS;

/** The name a person knows the file by. */
export function mediaName(m: Media): string {
  return m.filename ?? m.id;
}

/** Media whose name or id contains every word of the query (case and accents ignored). */
export function searchMedia(items: Media[], query: string): Media[] {
  const fold = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return items;
  return items.filter((m) => {
    const hay = fold(`${mediaName(m)} ${m.id}`);
    return words.every((w) => hay.includes(w));
  });
}

export function sortMedia(items: Media[], key: SortKey): Media[] {
  const dur = (m: Media) => probeDurationMs(m.probe) ?? 0;
  const cmp: Record<SortKey, (a: Media, b: Media) => number> = {
    newest: (a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id),
    oldest: (a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id),
    name: (a, b) => mediaName(a).localeCompare(mediaName(b), undefined, { numeric: true, sensitivity: 'base' }),
    longest: (a, b) => dur(b) - dur(a),
    shortest: (a, b) => dur(a) - dur(b),
    largest: (a, b) => b.bytes - a.bytes,
  };
  return [...items].sort(cmp[key]);
}

export interface MediaState {
  /** ready: nothing running, busy: a job runs on it, failed: its last job failed. */
  tone: 'new' | 'busy' | 'ready' | 'failed';
  text: string;
}

/** What is going on with a media file, from the newest jobs about it. */
export function mediaState(m: Media, jobs: Job[]): MediaState {
  const mine = jobs.filter((j) => jobMediaUri(j) === m.uri && !j.parent_id);
  const running = mine.find((j) => j.status === 'running' || j.status === 'queued');
  if (running) {
    const what = `${KIND_NAMES[running.kind]} ${running.status === 'queued' ? 'queued' : formatPercent(running.progress)}`;
    return { tone: 'busy', text: running.stage ? `${what} · ${running.stage}` : what };
  }
  const last = mine[0];
  if (!last) return { tone: 'new', text: 'Not analysed yet' };
  if (last.status === 'failed') return { tone: 'failed', text: `${KIND_NAMES[last.kind]} failed` };
  const shorts = mine.filter((j) => j.kind === 'autoclip' && j.status === 'succeeded')
    .reduce((n, j) => n + (Number((j.result as { succeeded?: unknown } | undefined)?.succeeded) || 0), 0);
  if (shorts) return { tone: 'ready', text: `${shorts} short${shorts === 1 ? '' : 's'} made` };
  const hl = mine.find((j) => j.kind === 'highlight_detection' && j.status === 'succeeded');
  if (hl) return { tone: 'ready', text: 'Highlights found' };
  return { tone: 'ready', text: `${KIND_NAMES[last.kind]} ${last.status}` };
}

const strips = new Map<string, Promise<MediaFilmstrip | undefined>>();

/** The filmstrip of a media file, asked for once per page load (again after a failure). */
export function filmstripOf(client: ApiClient, id: string): Promise<MediaFilmstrip | undefined> {
  let p = strips.get(id);
  if (!p) {
    p = client.getFilmstrip(id).catch(() => {
      strips.delete(id); // a later look may find it (the server may have been busy)
      return undefined;
    });
    strips.set(id, p);
  }
  return p;
}
