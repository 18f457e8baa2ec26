// The gallery's model: autoclip runs with their clips' titles, scores and reasons, the runs'
// render children not shown twice, one-off renders and clips grouped per source, newest first;
// the notes of the results shown (a run's on its group, a clip's newest version's on the clip).
import { describe, expect, it } from 'vitest';
import type { Job } from '@clipforge/api-client';
import { archiveUrl, galleryOf, jobOfUri } from './gallery';

const t = (m: number) => new Date(Date.UTC(2026, 10, 24, 19, m)).toISOString();
const art = (job: string, name: string, kind = 'video') =>
  ({ kind, uri: `storage://jobs/${job}/1/${name}`, url: `/v1/files/jobs/${job}/1/${name}?exp=1&sig=a`, mime: kind === 'video' ? 'video/mp4' : 'image/jpeg', bytes: 10, duration_ms: 9000 });

function job(id: string, kind: Job['kind'], minute: number, request: Record<string, unknown>, result?: Record<string, unknown>, extra: Partial<Job> = {}): Job {
  return { id, kind, status: 'succeeded', progress: 1, attempts: 1, created_at: t(minute), updated_at: t(minute), request, result, ...extra };
}

const clip = (index: number, child: string, extra: Record<string, unknown> = {}) => ({
  index, start_ms: index * 10_000, end_ms: index * 10_000 + 9000, score: 0.9 - index / 10, label: 'excited_speech',
  reasons: [`reason ${index}`], title: `Title ${index}`, status: 'succeeded', outputs: [art(child, 'render.mp4'), art(child, 'render.jpg', 'thumbnail')], ...extra,
});

describe('galleryOf', () => {
  const auto = job('j_auto', 'autoclip', 5, { media_uri: 'media://m_1' }, {
    media_uri: '/data/m_1', media_duration_ms: 60_000, template_id: 'shorts-blur', format: 'vertical', profile: 'generic', captions: true,
    clips: [clip(1, 'j_c1'), clip(2, 'j_c2', { low_confidence: true, confidence_note: 'scored 0.2' }), { ...clip(3, 'j_c3'), status: 'failed', outputs: [] }],
  });
  const child = job('j_c1', 'render', 6, { source_uri: 'media://m_1', start_ms: 10_000, end_ms: 19_000, title: 'Title 1' },
    { outputs: [art('j_c1', 'render.mp4')] }, { parent_id: 'j_auto' });
  const single = job('j_r', 'render', 7, { source_uri: 'media://m_1', start_ms: 1000, end_ms: 5000, title: 'Mine' }, { outputs: [art('j_r', 'render.mp4'), art('j_r', 'render.jpg', 'thumbnail')] });
  const cut = job('j_cut', 'clip_processing', 8, { source_uri: 'media://m_2', operations: [{ op: 'trim', start_ms: 2000, end_ms: 6000 }] }, { artifacts: [art('j_cut', 'clip.mp4')] });
  const failed = { ...job('j_f', 'render', 9, { source_uri: 'media://m_1' }), status: 'failed' as const };

  it('groups by source and run, each video once', () => {
    const s = galleryOf([child, auto, single, cut, failed]);
    expect(s.map((x) => x.sourceUri)).toEqual(['media://m_2', 'media://m_1']);
    const m1 = s[1].groups;
    expect(m1.map((g) => g.key)).toEqual(['singles:media://m_1', 'j_auto']);
    expect(m1[1].clips.map((c) => [c.title, c.jobId, c.index])).toEqual([['Title 1', 'j_c1', 1], ['Title 2', 'j_c2', 2]]);
    expect(m1[1].clips[0]).toMatchObject({ score: 0.8, reasons: ['reason 1'], startMs: 10_000, endMs: 19_000, durationMs: 9000 });
    expect(m1[1].clips[0].poster?.kind).toBe('thumbnail');
    expect(m1[1].clips[1]).toMatchObject({ lowConfidence: true, confidenceNote: 'scored 0.2' });
    expect(m1[1].jobIds).toEqual(['j_c1', 'j_c2']);
    expect(m1[0].clips.map((c) => c.title)).toEqual(['Mine']);
    expect(s[0].groups[0].clips[0]).toMatchObject({ title: 'Clip 0:02–0:06', startMs: 2000, endMs: 6000, jobId: 'j_cut' });
    const all = s.flatMap((x) => x.groups.flatMap((g) => g.clips.map((c) => c.key)));
    expect(new Set(all).size).toBe(all.length);
  });

  it('shows an edited clip as its newest version, once, and zips that version', () => {
    const v2 = job('j_v2', 'render', 10, { source_uri: 'media://m_1', start_ms: 1500, end_ms: 5000, title: 'Mine, edited' },
      { outputs: [art('j_v2', 'render.mp4')] }, { parent_id: 'j_r' });
    const running = { ...job('j_v3', 'render', 11, { source_uri: 'media://m_1', start_ms: 1500, end_ms: 5000, title: 'Third' }), status: 'running' as const, parent_id: 'j_r' };
    const s = galleryOf([single, v2, running, child, auto]);
    const g = s[0].groups.find((x) => x.key === 'singles:media://m_1')!;
    expect(g.clips).toHaveLength(1);
    expect(g.clips[0]).toMatchObject({ jobId: 'j_r', title: 'Mine, edited', startMs: 1500, versions: 3, videoJobId: 'j_v2', editable: true });
    expect(g.clips[0].video.uri).toBe('storage://jobs/j_v2/1/render.mp4');
    expect(g.jobIds).toEqual(['j_v2']);
    // a version of an autoclip clip: the run shows it in place
    const cv = job('j_c1v', 'render', 12, { source_uri: 'media://m_1', start_ms: 9000, end_ms: 19_000, title: 'Better title' },
      { outputs: [art('j_c1v', 'render.mp4')] }, { parent_id: 'j_c1' });
    const a = galleryOf([auto, child, cv])[0].groups.find((x) => x.key === 'j_auto')!;
    expect(a.clips[0]).toMatchObject({ jobId: 'j_c1', title: 'Better title', versions: 2, index: 1, score: 0.8 });
    expect(a.jobIds).toEqual(['j_c1v', 'j_c2']);
  });

  it('keeps the notes of the results it shows', () => {
    const left = 'media://m_1: left out: audio stream 2 (aac, fre); it carries audio stream 1';
    const run = job('j_auto', 'autoclip', 5, auto.request, { ...auto.result, notes: [left] });
    const noted = job('j_r', 'render', 7, single.request, { ...single.result, notes: [left] });
    const s = galleryOf([run, child, noted, cut]);
    const m1 = s.find((x) => x.sourceUri === 'media://m_1')!.groups;
    const a = m1.find((g) => g.key === 'j_auto')!;
    expect(a.notes).toEqual([left]);
    expect(a.clips.map((c) => c.notes)).toEqual([[], []]);
    expect(m1.find((g) => g.key.startsWith('singles:'))!.clips[0].notes).toEqual([left]);
    expect(s.find((x) => x.sourceUri === 'media://m_2')!.groups[0].clips[0].notes).toEqual([]);
    // an edited clip shows its newest version's notes
    const v2 = job('j_v2', 'render', 10, single.request, { outputs: [art('j_v2', 'render.mp4')], notes: ['audio stream 1 carries no packets'] }, { parent_id: 'j_r' });
    expect(galleryOf([noted, v2])[0].groups[0].clips[0].notes).toEqual(['audio stream 1 carries no packets']);
  });

  it('shows an autoclip child on its own when its run is not known', () => {
    expect(galleryOf([child])[0].groups[0].clips[0].title).toBe('Title 1');
  });

  it('names the job of an output and the zip of several jobs', () => {
    expect(jobOfUri('storage://jobs/j_c1/2/render.mp4')).toBe('j_c1');
    expect(jobOfUri('media://m_1')).toBeUndefined();
    expect(archiveUrl('', ['j_1', 'j_2'])).toBe('/v1/archive?jobs=j_1,j_2');
    expect(archiveUrl('', ['j_1'], 'cfk_a')).toBe('/v1/archive?jobs=j_1&access_token=cfk_a');
  });
});
