import { describe, expect, it } from 'vitest';
import { peaks, resampleCurve, scoreCurve } from './audio';
import { mediaIdFromUri, probeDurationMs } from './format';
import { addStage, applyEvent } from '../state/jobs';
import { RenderTemplateSchema, type Job } from '@clipforge/api-client';
import { buildRenderRequest, checkRenderRequest, previewOf } from './templates';
import { TEMPLATES } from '../test/server';
import { resultNotes } from './jobs';

describe('format', () => {
  it('reads media ids and durations', () => {
    expect(mediaIdFromUri('media://m_12')).toBe('m_12');
    expect(mediaIdFromUri('file:///x')).toBeUndefined();
    expect(probeDurationMs({ duration_ms: 4000 })).toBe(4000);
    expect(probeDurationMs({ duration_ms: 'x' })).toBeUndefined();
  });
});

describe('audio', () => {
  it('takes the peak of each slice', () => {
    const s = new Float32Array([0.1, -0.9, 0.2, 0.3, -0.1, 0.05, 0.5, 0.4]);
    expect([...peaks(s, 4)].map((v) => v.toFixed(2))).toEqual(['0.90', '0.30', '0.10', '0.50']);
    expect(peaks(new Float32Array(), 3)).toEqual(new Float32Array(3));
  });

  it('resamples the detector\'s own curve to the slices', () => {
    const c = resampleCurve({ step_ms: 1000, values: [0.1, 0.5, 1] }, 4000, 8);
    expect([...c].map((v) => v.toFixed(1))).toEqual(['0.1', '0.1', '0.5', '0.5', '1.0', '1.0', '0.0', '0.0']);
    expect(resampleCurve({ step_ms: 1000, values: [0.3] }, 0, 4)).toEqual(new Float32Array(4));
  });

  it('draws the best score over each slice', () => {
    const c = scoreCurve([{ start_ms: 0, end_ms: 2500, score: 0.5 }, { start_ms: 2000, end_ms: 5000, score: 0.9 }], 10_000, 10);
    expect([...c].map((v) => v.toFixed(1))).toEqual(['0.5', '0.5', '0.9', '0.9', '0.9', '0.0', '0.0', '0.0', '0.0', '0.0']);
  });
});

describe('job events', () => {
  const job: Job = { id: 'j', kind: 'render', status: 'queued', progress: 0, attempts: 0, created_at: 'a', updated_at: 'a', request: {} };
  const ev = (type: 'JobProgressed' | 'JobCompleted' | 'JobFailed' | 'JobRequested', data: Record<string, unknown>, id = 1) =>
    ({ id, type, job_id: 'j', at: '2026-11-24T19:00:00Z', data });

  it('applies the job snapshot an event carries', () => {
    const j = applyEvent(job, ev('JobProgressed', { status: 'running', stage: 'encode', progress: 0.5, attempts: 1 }));
    expect(j).toMatchObject({ status: 'running', stage: 'encode', progress: 0.5, attempts: 1, updated_at: '2026-11-24T19:00:00Z' });
    const f = applyEvent(j, ev('JobFailed', { status: 'failed', error: { title: 'Processing failed', status: 500, detail: 'decoder' } }));
    expect(f.status).toBe('failed');
    expect(f.error?.detail).toBe('decoder');
    expect(applyEvent(f, ev('JobRequested', { retry: true })).status).toBe('queued');
  });

  it('builds the stage history with each stage done once the next begins', () => {
    let s = addStage([], ev('JobProgressed', { stage: 'probe', progress: 0.1 }));
    s = addStage(s, ev('JobProgressed', { stage: 'probe', progress: 0.2 }));
    s = addStage(s, ev('JobProgressed', { stage: 'encode', progress: 0.6 }));
    expect(s).toEqual([{ stage: 'probe', progress: 0.2, done: true }, { stage: 'encode', progress: 0.6, done: false }]);
    s = addStage(s, ev('JobCompleted', { status: 'succeeded' }));
    expect(s[1].done).toBe(true);
  });
});

describe('render requests', () => {
  const [shorts, landscape] = TEMPLATES.map((t) => RenderTemplateSchema.parse(t));
  const base = { clipId: 'r1', sourceUri: 'media://m_1', span: { start_ms: 2000, end_ms: 6000 }, template: shorts, format: 'vertical' as const };

  it('sends only what the template uses, and what it sends parses as a RenderRequest', () => {
    const r = buildRenderRequest({ ...base, title: '  Goal!  ', brandColor: '#ffcc00' });
    expect(r).toEqual({ clip_id: 'r1', template_id: 'shorts-blur', source_uri: 'media://m_1', start_ms: 2000, end_ms: 6000, format: 'vertical', title: 'Goal!' });
    expect(checkRenderRequest(r)).toBeUndefined();
    expect(buildRenderRequest({ ...base, title: ' ', brandColor: '#00ff00' })).toMatchObject({ brand_color: '#00ff00' });
    expect(buildRenderRequest({ ...base, title: ' ' })).not.toHaveProperty('title');
    const noTitle = RenderTemplateSchema.parse({ ...TEMPLATES[0], variables: [] });
    expect(buildRenderRequest({ ...base, template: noTitle, title: 'x', brandColor: '#000000' })).not.toHaveProperty('title');
  });

  it('asks for a smaller output only when a draft size is chosen', () => {
    expect(buildRenderRequest({ ...base, title: '', scale: 1 })).not.toHaveProperty('width');
    const draft = buildRenderRequest({ ...base, title: '', scale: 1 / 3 });
    expect(draft).toMatchObject({ width: 360, height: 640 });
    expect(checkRenderRequest(draft)).toBeUndefined();
    expect(buildRenderRequest({ ...base, template: landscape, format: 'horizontal', title: '', scale: 1 / 3 })).toMatchObject({ width: 640, height: 360 });
  });

  it('names the field of a request the server would refuse', () => {
    expect(checkRenderRequest(buildRenderRequest({ ...base, span: { start_ms: 5000, end_ms: 5000 }, title: 'x' }))).toMatch(/^end_ms: /);
    expect(checkRenderRequest(buildRenderRequest({ ...base, title: 'x'.repeat(501) }))).toMatch(/^title: /);
  });

  it('previews a template in the chosen format', () => {
    expect(previewOf(landscape, 'horizontal')).toEqual({ fit: 'contain', titlePosition: 'bottom_left', captionPosition: 'bottom',
      accent: '#202020', width: 1920, height: 1080 });
    expect(previewOf(shorts, 'vertical', '#123456')).toMatchObject({ fit: 'blur', accent: '#123456', width: 1080, height: 1920 });
  });
});

describe('result notes', () => {
  const notes = ['left out: subtitle stream 3 (subrip)'];
  it('reads the notes of every kind\'s result that has them through its schema', () => {
    expect(resultNotes({ kind: 'clip_processing', result: { clip_id: 'c', notes } })).toEqual(notes);
    expect(resultNotes({ kind: 'highlight_detection', result: { notes } })).toEqual(notes);
    expect(resultNotes({ kind: 'transcription', result: { notes } })).toEqual(notes);
    // only the notes are read: a member the schema does not know does not hide them
    expect(resultNotes({ kind: 'render', result: { outputs: [], added_later: 1, notes } })).toEqual(notes);
    expect(resultNotes({ kind: 'autoclip', result: { notes } })).toEqual(notes);
  });
  it('has none without notes, for kinds without them, and for notes the schema refuses', () => {
    expect(resultNotes({ kind: 'render', result: { outputs: [] } })).toEqual([]);
    expect(resultNotes({ kind: 'clip_processing', result: undefined })).toEqual([]);
    expect(resultNotes({ kind: 'noop', result: { notes } })).toEqual([]);
    expect(resultNotes({ kind: 'render', result: { notes: [''] } })).toEqual([]);
    expect(resultNotes({ kind: 'render', result: { notes: 'one string' } })).toEqual([]);
  });
});
