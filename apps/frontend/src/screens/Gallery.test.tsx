// The gallery against the test server: an autoclip run's shorts with posters, titles, scores
// and reasons under their source, the run's render children not repeated, inline play, the
// zip links, a share link made on request, and the notes of the results shown.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App';
import { ApiClient, type Job } from '@clipforge/api-client';
import { click, render, type Rendered, waitFor } from '@clipforge/ui/testing';
import { startTestServer, type TestServer } from '../test/server';

let srv: TestServer;
let view: Rendered | undefined;
const now = '2026-11-24T19:00:00Z';
const art = (job: string, name: string, kind = 'video') =>
  ({ kind, uri: `storage://jobs/${job}/1/${name}`, url: `/v1/files/jobs/${job}/1/${name}?exp=1&sig=a`, mime: 'video/mp4', bytes: 10, duration_ms: 9000 });
const base = { status: 'succeeded' as const, progress: 1, attempts: 1, created_at: now, updated_at: now };

beforeEach(async () => {
  srv = await startTestServer();
  srv.media.set('m_1', { id: 'm_1', uri: 'media://m_1', filename: 'match.mp4', bytes: 10, created_at: now });
  const clip = (index: number) => ({ index, start_ms: index * 10_000, end_ms: index * 10_000 + 9000, score: 0.5 + index / 10,
    label: 'excited_speech', reasons: ['crowd noise +12 dB'], title: `Goal number ${index}`, status: 'succeeded',
    outputs: [art(`j_c${index}`, 'render.mp4'), art(`j_c${index}`, 'render.jpg', 'thumbnail')] });
  const jobs: Job[] = [
    { ...base, id: 'j_auto', kind: 'autoclip', request: { media_uri: 'media://m_1' }, result: { media_uri: 'x', media_duration_ms: 60_000,
      template_id: 'shorts-blur', format: 'vertical', profile: 'generic', captions: true, clips: [clip(1), clip(2)] } },
    { ...base, id: 'j_c1', kind: 'render', parent_id: 'j_auto', request: { source_uri: 'media://m_1', start_ms: 10_000, end_ms: 19_000 },
      result: { outputs: [art('j_c1', 'render.mp4')] } },
  ];
  for (const j of jobs) srv.jobs.set(j.id, j);
  window.history.pushState(null, '', '/clips');
});
afterEach(async () => {
  view?.unmount();
  view = undefined;
  await srv.close();
});

const cards = () => [...view!.container.querySelectorAll<HTMLElement>('[data-testid="clip-card"]')];

describe('Clips gallery', () => {
  it('shows each short once, with its poster, title, score and reasons, under its source', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(2));
    await waitFor(() => expect(view!.container.querySelector('[data-testid="gallery-source"] h2')!.textContent).toBe('match.mp4'));
    expect(cards().map((c) => c.dataset.jobId)).toEqual(['j_c1', 'j_c2']);
    const first = cards()[0];
    expect(first.querySelector('h4')!.textContent).toBe('1. Goal number 1');
    expect(first.querySelector('[data-testid="clip-score"]')!.textContent).toBe('0.60');
    expect(first.querySelector('[data-testid="clip-reasons"]')!.textContent).toBe('crowd noise +12 dB');
    expect(first.querySelector('img')!.getAttribute('src')).toBe('/v1/files/jobs/j_c1/1/render.jpg?exp=1&sig=a');
    expect(first.textContent).toContain('0:10–0:19 of match.mp4');
    expect(view.container.querySelector('[data-testid="group-zip"]')!.getAttribute('href')).toBe(`${srv.url}/v1/archive?jobs=j_c1,j_c2`);
    expect(view.container.querySelector('[data-testid="gallery-zip"]')!.textContent).toBe('Download all 2 (zip)');
  });

  it('shows a result\'s notes with its clip or run, and none where a result has none', async () => {
    const left = 'media://m_1: left out: audio stream 2 (opus, fre, "Commentary"); it carries audio stream 1';
    srv.jobs.set('j_one', { ...base, id: 'j_one', kind: 'render', request: { source_uri: 'media://m_1', start_ms: 0, end_ms: 9000, title: 'Alone' },
      result: { clip_id: 'one', render_uri: 'storage://jobs/j_one/1/render.mp4', duration_ms: 9000, outputs: [art('j_one', 'render.mp4')], notes: [left] } });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(3));
    const alone = cards().find((c) => c.dataset.jobId === 'j_one')!;
    const notes = alone.querySelector<HTMLElement>('[data-testid="job-notes"]')!;
    expect(notes.getAttribute('role')).toBe('note');
    expect(notes.querySelector('h5')!.textContent).toBe('Notes');
    expect([...notes.querySelectorAll('li')].map((li) => li.textContent)).toEqual([left]);
    // the autoclip run and its shorts carry no notes here
    expect(view.container.querySelectorAll('[data-testid="job-notes"]')).toHaveLength(1);

    srv.jobs.set('j_auto', { ...srv.jobs.get('j_auto')!, result: { ...srv.jobs.get('j_auto')!.result, notes: [left] } });
    view.unmount();
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(view!.container.querySelectorAll('[data-testid="job-notes"]')).toHaveLength(2));
    const run = view.container.querySelector<HTMLElement>('[data-group="j_auto"] > [data-testid="job-notes"]')!;
    expect(run.querySelector('h4')!.textContent).toBe('Notes');
    expect(run.querySelector('li')!.textContent).toBe(left);
  });

  it('plays a short in place and makes a share link', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(2));
    click(cards()[1].querySelector('[data-testid="clip-play"]'));
    const v = cards()[1].querySelector('video')!;
    expect(v.getAttribute('src')).toBe('/v1/files/jobs/j_c2/1/render.mp4?exp=1&sig=a');
    click([...cards()[1].querySelectorAll('button')].find((b) => b.textContent === 'Copy link')!);
    await waitFor(() => expect(cards()[1].querySelector('[data-testid="share-url"]')).not.toBeNull());
    const sent = JSON.parse(srv.requests.find((r) => r.url === '/v1/share')!.body);
    expect(sent).toEqual({ uri: 'storage://jobs/j_c2/1/render.mp4' });
    expect((cards()[1].querySelector('[data-testid="share-url"]') as HTMLInputElement).value)
      .toBe(`${window.location.origin}/v1/files/jobs/j_c2/1/render.mp4?exp=9&sig=shared`);
  });
});
