// The clip editor's model: corrected words become certain, emptied ones go, the corrections are
// the label's caption fixes; the version's request carries the edit and passes the schema.
import { describe, expect, it } from 'vitest';
import { LabelCreateSchema } from '@clipforge/api-client';
import { captionFixes, editLabel, editWords, spokenWords, versionRequest, type ClipEdit } from './clipEdit';

const words = [
  { word: 'hello', start_ms: 1000, end_ms: 1400, confidence: 0.9 },
  { word: 'wrold', start_ms: 1500, end_ms: 1900, confidence: 0.4 },
  { word: 'um', start_ms: 2000, end_ms: 2100, confidence: 0.5 },
  { word: 'later', start_ms: 9000, end_ms: 9400, confidence: 0.9 },
];

describe('clip edit', () => {
  const ws = editWords(words, 500, 5000);
  ws[1].said = 'world';
  ws[2].said = ' ';
  const edit: ClipEdit = { startMs: 800, endMs: 4000, title: ' Hello world ', templateId: 'shorts-blur', format: 'vertical', words: ws, captions: true };

  it('keeps the span\'s words, corrected ones certain, emptied ones gone', () => {
    expect(ws.map((w) => w.heard)).toEqual(['hello', 'wrold', 'um']);
    expect(spokenWords(ws)).toEqual([
      { word: 'hello', start_ms: 1000, end_ms: 1400, confidence: 0.9 },
      { word: 'world', start_ms: 1500, end_ms: 1900, confidence: 1 },
    ]);
    expect(captionFixes(ws)).toEqual([
      { start_ms: 1500, end_ms: 1900, heard: 'wrold', said: 'world' },
      { start_ms: 2000, end_ms: 2100, heard: 'um', said: '' },
    ]);
  });

  it('builds the version\'s request from the clip\'s, with the edit', () => {
    const r = versionRequest({ clip_id: 'c', source_uri: 'media://m', width: 360, height: 640, title: 'old', captions_uri: 'storage://x' }, edit, 60_000);
    expect(r).toMatchObject({ clip_id: 'c', source_uri: 'media://m', width: 360, height: 640, template_id: 'shorts-blur', start_ms: 800, end_ms: 4000, title: 'Hello world' });
    expect(r).not.toHaveProperty('captions_uri');
    expect(r.transcript?.segments?.[0].words?.map((w) => w.word)).toEqual(['hello', 'world']);
    expect(() => versionRequest({ clip_id: 'c', source_uri: 'media://m' }, { ...edit, endMs: 500 }, 60_000)).toThrow(/end_ms/);
  });

  it('records the edit as a clip_edit label the schema accepts', () => {
    const l = editLabel('m_1', 'j_c', { startMs: 1000, endMs: 5000, title: 'Proposed', score: 0.7, modelVersion: 'h-1', jobId: 'j_auto' }, edit);
    expect(LabelCreateSchema.safeParse(l).success).toBe(true);
    expect(l).toMatchObject({ source: 'clip_edit', clip_job_id: 'j_c', job_id: 'j_auto', start_ms: 800, end_ms: 4000, detected_start_ms: 1000,
      detected_end_ms: 5000, title: 'Hello world', detected_title: 'Proposed', score: 0.7, verdict: 'accept' });
    expect(l.caption_fixes).toHaveLength(2);
  });
});
