// The review screen against the test server: spans from the detection result, verdicts saved as
// labels (with moved boundaries), saved labels shown again, keys, the render dialog preview, and
// the result's notes (an audio track the detector did not hear).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App';
import { ApiClient, RenderRequestSchema } from '@clipforge/api-client';
import { click, key, render, type Rendered, typeInto, waitFor } from '@clipforge/ui/testing';
import { startTestServer, type TestServer } from '../test/server';
import { captionAt } from './RenderDialog';
import { flagOn } from '../state/flags';

let srv: TestServer;
let view: Rendered | undefined;
const now = '2026-11-24T19:00:00Z';

beforeEach(async () => {
  srv = await startTestServer();
  srv.kinds.push('render');
  srv.media.set('m_1', { id: 'm_1', uri: 'media://m_1', url: `${'http://127.0.0.1:1'}/v1/files/m_1?exp=1&sig=x`, filename: 'talk.mp4',
    mime: 'video/mp4', bytes: 1000, created_at: now, probe: { duration_ms: 20_000 } });
  srv.jobs.set('j_hl', { id: 'j_hl', kind: 'highlight_detection', status: 'succeeded', progress: 1, attempts: 1,
    created_at: now, updated_at: now, request: { clip_id: 'c', media_uri: 'media://m_1' },
    result: { clip_id: 'c', model_version: 'heuristic-1', engine: 'heuristic', inference_ms: 12,
      highlights: [
        { start_ms: 2000, end_ms: 6000, score: 0.91, label: 'loud cheer', reasons: ['loudness peak', 'crowd noise'] },
        { start_ms: 11000, end_ms: 15000, score: 0.55, label: 'scene change', reasons: ['cut'] },
      ] } });
  window.history.pushState(null, '', '/review/j_hl');
});
afterEach(async () => {
  view?.unmount();
  view = undefined;
  await srv.close();
});

const items = () => [...view!.container.querySelectorAll<HTMLElement>('[data-testid="span-item"]')];
const button = (el: Element, text: string) => [...el.querySelectorAll('button')].find((b) => b.textContent?.includes(text)) ?? null;

describe('Review screen', () => {
  it('lists the spans with their reasons and saves verdicts as labels', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    expect(items()[0].textContent).toContain('loud cheer');
    expect(items()[0].textContent).toContain('loudness peak · crowd noise');
    expect(view.container.querySelector('[data-testid="span-1"]')).not.toBeNull();

    click(button(items()[0], 'Accept'));
    await waitFor(() => expect(srv.labels).toHaveLength(1));
    expect(srv.labels[0]).toMatchObject({ media_id: 'm_1', job_id: 'j_hl', start_ms: 2000, end_ms: 6000, verdict: 'accept',
      detected_start_ms: 2000, detected_end_ms: 6000, score: 0.91, model_version: 'heuristic-1' });
    expect(items()[0].dataset.verdict).toBe('accept');

    // Select the second span from the timeline, move its end with the keys: saved again only
    // once it has a verdict; R rejects it with the moved boundary.
    const tl = view.container.querySelector('[data-testid="timeline"]')!;
    key(tl, 'ArrowDown');
    const end = view.container.querySelector<HTMLElement>('[aria-label="End of highlight 2"]')!;
    key(end, 'ArrowRight', { shiftKey: true });
    key(document.body, 'r');
    await waitFor(() => expect(srv.labels).toHaveLength(2));
    expect(srv.labels[1]).toMatchObject({ start_ms: 11000, end_ms: 16000, verdict: 'reject', detected_end_ms: 15000 });
    expect(items()[1].textContent).toContain('(edited)');
  });

  it('shows the detection result\'s notes, and none when it has none', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    expect(view.container.querySelector('[data-testid="job-notes"]')).toBeNull();
    view.unmount();
    const left = 'left out of the result: audio stream 2 (aac, fre); it carries audio stream 1 (choose another with audio_stream / --audio-stream)';
    const job = srv.jobs.get('j_hl')!;
    srv.jobs.set('j_hl', { ...job, result: { ...job.result, notes: [left] } });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    const notes = view.container.querySelector<HTMLElement>('[data-testid="job-notes"]')!;
    expect(notes.getAttribute('role')).toBe('note');
    expect([...notes.querySelectorAll('li')].map((li) => li.textContent)).toEqual([left]);
  });

  it('draws the detector\'s own score curve when the result has one, else the spans\' scores', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    const wave = () => view!.container.querySelector<HTMLElement>('[data-testid="waveform"]')!;
    expect(wave().dataset.curve).toBe('spans');
    view.unmount();
    const job = srv.jobs.get('j_hl')!;
    srv.jobs.set('j_hl', { ...job, result: { ...job.result, score_curve: { step_ms: 1000, threshold: 0.5, values: [0.1, 0.9, 0.4] } } });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    expect(wave().dataset.curve).toBe('detector');
    expect(wave().querySelector('canvas')!.getAttribute('aria-label')).toBe("Waveform and the detector's score curve");
  });

  it('draws the server\'s waveform and puts its filmstrip under the timeline', async () => {
    srv.waveforms.set('m_1', { media_id: 'm_1', duration_ms: 20_000, step_ms: 20, peaks: Array.from({ length: 1000 }, (_, i) => (i % 100) / 100) });
    srv.filmstrips.set('m_1', { media_id: 'm_1', url: '/v1/files/f.jpg?exp=1&sig=a', duration_ms: 20_000, count: 4, columns: 4, rows: 1,
      tile_width: 160, tile_height: 90, times_ms: [2500, 7500, 12500, 17500] });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    const wave = () => view!.container.querySelector<HTMLElement>('[data-testid="waveform"]')!;
    await waitFor(() => expect(wave().dataset.peaks).toBe('ready'));
    const strip = view.container.querySelector<HTMLElement>('[data-testid="filmstrip-track"]')!;
    const tiles = [...strip.querySelectorAll<HTMLButtonElement>('button')];
    expect(tiles.map((t) => t.getAttribute('aria-label'))).toEqual(['Frame at 0:03', 'Frame at 0:08', 'Frame at 0:13', 'Frame at 0:18']);
    expect(tiles[2].style.left).toBe('50%');
    click(tiles[2]);
    await waitFor(() => expect(view!.container.querySelector('.time')!.textContent).toContain('0:12.5 /'));
  });

  it('says why when the media has no waveform', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    const wave = () => view!.container.querySelector<HTMLElement>('[data-testid="waveform"]')!;
    await waitFor(() => expect(wave().dataset.peaks).toBe('none'));
    expect(wave().textContent).toContain('media m_1 has no waveform');
  });

  it('shows the verdicts saved earlier', async () => {
    srv.labels.push({ id: 'l_0', media_id: 'm_1', start_ms: 1500, end_ms: 6000, verdict: 'accept', detected_start_ms: 2000,
      detected_end_ms: 6000, created_at: now });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    expect(items()[0].dataset.verdict).toBe('accept');
    expect(items()[0].textContent).toContain('0:01.5–0:06.0');
    expect(items()[1].dataset.verdict).toBe('');
  });

  it('previews the title over the player and submits a render job', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    click(button(items()[0], 'Render'));
    const dialog = view.container.querySelector('[role="dialog"]')!;
    // the template picker lists the server's templates, the first one chosen
    await waitFor(() => expect(dialog.querySelectorAll('input[name="template"]')).toHaveLength(2));
    expect(dialog.querySelector<HTMLInputElement>('input[value="shorts-blur"]')!.checked).toBe(true);
    expect(dialog.querySelector('[data-testid="render-preview"]')!.className).toContain('fit-blur');
    expect(dialog.querySelector<HTMLElement>('[data-testid="preview-title"]')!.style.background).toBe('rgb(255, 204, 0)');
    expect(dialog.querySelector('[data-testid="preview-title"]')!.textContent).toBe('loud cheer');
    typeInto(dialog.querySelector<HTMLInputElement>('[data-testid="render-title-input"]')!, 'What a goal');
    expect(dialog.querySelector('[data-testid="preview-title"]')!.textContent).toBe('What a goal');
    click(dialog.querySelector('input[value="landscape-clean"]'));
    const preview = dialog.querySelector<HTMLElement>('[data-testid="render-preview"]')!;
    expect(preview.className).toContain('preview-horizontal');
    expect(preview.className).toContain('fit-contain');
    expect(dialog.querySelector('[data-testid="preview-title"]')!.className).toContain('pos-bottom_left');
    typeInto(dialog.querySelector<HTMLInputElement>('[data-testid="render-brand-color"]')!, '#112233');
    expect(dialog.querySelector<HTMLElement>('[data-testid="preview-title"]')!.style.background).toBe('rgb(17, 34, 51)');
    click(button(dialog, 'Render'));
    await waitFor(() => expect(window.location.pathname).toMatch(/^\/jobs\/j_\d+$/));
    const job = [...srv.jobs.values()].find((j) => j.kind === 'render')!;
    expect(job.request).toMatchObject({ template_id: 'landscape-clean', source_uri: 'media://m_1', start_ms: 2000, end_ms: 6000,
      format: 'horizontal', title: 'What a goal', brand_color: '#112233' });
    // what the dialog sent is a RenderRequest as the generated schema (the server's contract) has it
    const parsed = RenderRequestSchema.safeParse(job.request);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('says so when the server has no templates, and renders nothing', async () => {
    srv.templates = [];
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    click(button(items()[0], 'Render'));
    const dialog = view.container.querySelector('[role="dialog"]')!;
    await waitFor(() => expect(dialog.textContent).toContain('This server has no rendering templates.'));
    expect(button(dialog, 'Render')!.hasAttribute('disabled')).toBe(true);
  });
});

describe('Review screen behind feature flags', () => {
  const events = [{ start_ms: 0, end_ms: 5000, class: 'speech', confidence: 0.9 }];
  const band = () => view!.container.querySelector('[data-testid="audio-events"]');
  const flag = (on: boolean) => ({ name: 'ui.audio-events', source: 'store' as const, setting: on ? 'on' : 'off',
    subject: 'tenant' as const, on });
  beforeEach(() => {
    const job = srv.jobs.get('j_hl')!;
    srv.jobs.set('j_hl', { ...job, result: { ...(job.result as object), audio_events: events } });
  });

  it('shows the audio-events band when the flag is on for the tenant', async () => {
    srv.flags = [flag(true)];
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    await waitFor(() => expect(srv.requests.some((r) => r.url === '/v1/flags')).toBe(true));
    expect(band()).not.toBeNull();
  });

  it('hides it when GET /v1/flags says the flag is off', async () => {
    srv.flags = [flag(false)];
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    await waitFor(() => expect(band()).toBeNull());
    expect(srv.requests.some((r) => r.url === '/v1/flags')).toBe(true);
  });

  it('keeps the band on a server without /v1/flags (the flag\'s default)', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(items()).toHaveLength(2));
    await waitFor(() => expect(srv.requests.some((r) => r.url === '/v1/flags')).toBe(true));
    expect(band()).not.toBeNull();
  });
});

describe('flagOn', () => {
  const f = (name: string, on: boolean | null) => ({ name, source: 'config' as const, setting: '50%', subject: 'media' as const, on });
  it('is the server\'s answer, else the fallback', () => {
    expect(flagOn([f('a', false)], 'a', true)).toBe(false);
    expect(flagOn([f('a', true)], 'a', false)).toBe(true);
    expect(flagOn([f('a', null)], 'a', true)).toBe(true); /* depends on a media */
    expect(flagOn([f('b', false)], 'a', true)).toBe(true);
    expect(flagOn(undefined, 'a', false)).toBe(false);
  });
});

describe('captionAt', () => {
  const segs = [{ start_ms: 0, end_ms: 3000, text: 'one two three four five six seven', words: [
    'one', 'two', 'three', 'four', 'five', 'six', 'seven'].map((w, i) => ({ word: w, start_ms: i * 400, end_ms: i * 400 + 380, confidence: 0.9 })) }];
  it('shows the words around the time, a few at a time', () => {
    expect(captionAt(segs, 100, 3)).toBe('one two three');
    expect(captionAt(segs, 1300, 3)).toBe('four five six');
    expect(captionAt(segs, 2500, 3)).toBe('seven');
    expect(captionAt(segs, 5000, 3)).toBe('');
  });
});
