// The media library lists GET /v1/media newest first with the stored file names, a page at a
// time ("Show older media" follows next_cursor), searches and sorts, shows posters and the
// filmstrip on hover, and deletes after a confirmation.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { ApiClient, AutoclipRequestSchema } from '@clipforge/api-client';
import { PAGE_SIZE } from '../state/media';
import { act } from 'react';
import { File as NodeFile } from 'node:buffer';
import { click, key, render, type Rendered, selectValue, typeInto, waitFor } from '@clipforge/ui/testing';
import { startTestServer, type TestServer } from '../test/server';

let srv: TestServer;
let view: Rendered | undefined;

beforeEach(async () => {
  srv = await startTestServer();
  for (let i = 1; i <= PAGE_SIZE + 3; i++)
    srv.media.set(`m_${i}`, { id: `m_${i}`, uri: `media://m_${i}`, filename: `video ${i}.mp4`, bytes: 1000 * i,
      created_at: new Date(Date.UTC(2026, 10, 24, 19, i)).toISOString(), probe: { duration_ms: 12_000 } });
  window.history.pushState(null, '', '/');
});
afterEach(async () => {
  view?.unmount();
  view = undefined;
  vi.restoreAllMocks();
  await srv.close();
});

const cards = () => [...view!.container.querySelectorAll<HTMLElement>('[data-testid="media-card"]')];
const button = (text: string) => [...view!.container.querySelectorAll('button')].find((b) => b.textContent === text) ?? null;

describe('Media library', () => {
  it('shows the server\'s media newest first, with their names, a page at a time', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(PAGE_SIZE));
    expect(cards()[0].dataset.mediaId).toBe(`m_${PAGE_SIZE + 3}`);
    expect(cards()[0].textContent).toContain(`video ${PAGE_SIZE + 3}.mp4`);
    expect(cards()[0].textContent).toContain('0:12');
    expect(srv.requests.find((r) => r.url.startsWith('/v1/media'))!.url).toBe(`/v1/media?limit=${PAGE_SIZE}`);

    click(button('Show older media'));
    await waitFor(() => expect(cards()).toHaveLength(PAGE_SIZE + 3));
    expect(cards().map((c) => c.dataset.mediaId).slice(-3)).toEqual(['m_3', 'm_2', 'm_1']);
    expect(button('Show older media')).toBeNull();
  });

  it('deletes a file only after a confirmation, and drops it from the list', async () => {
    srv.media.clear();
    srv.media.set('m_1', { id: 'm_1', uri: 'media://m_1', filename: 'talk.mp4', bytes: 10, created_at: '2026-11-24T19:00:00Z' });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(1));
    const del = button('Delete')!;
    expect(del.getAttribute('aria-label')).toBe('Delete talk.mp4');
    click(del);
    const dialog = () => document.querySelector<HTMLElement>('[role="alertdialog"]');
    expect(dialog()!.textContent).toContain('Delete talk.mp4?');
    // the safe answer has the focus; Escape backs out and nothing is deleted
    expect(document.activeElement?.textContent).toBe('Cancel');
    key(document.activeElement!, 'Escape');
    expect(dialog()).toBeNull();
    expect(srv.requests.some((r) => r.method === 'DELETE')).toBe(false);
    click(button('Delete'));
    click([...dialog()!.querySelectorAll('button')].find((b) => b.textContent === 'Delete')!);
    await waitFor(() => expect(cards()).toHaveLength(0));
    expect(srv.requests.some((r) => r.method === 'DELETE' && r.url === '/v1/media/m_1')).toBe(true);
  });

  it('searches by name and sorts', async () => {
    srv.media.clear();
    const add = (id: string, filename: string, minute: number, duration_ms: number, bytes: number) =>
      srv.media.set(id, { id, uri: `media://${id}`, filename, bytes, created_at: new Date(Date.UTC(2026, 10, 24, 19, minute)).toISOString(),
        probe: { duration_ms, streams: [{ type: 'video', display_width: 1920, display_height: 1080 }] } });
    add('m_a', 'Match day.mp4', 1, 90_000, 300);
    add('m_b', 'été podcast.mp4', 2, 30_000, 100);
    add('m_c', 'match highlights 2.mp4', 3, 60_000, 200);
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(3));
    const ids = () => cards().map((c) => c.dataset.mediaId);
    expect(ids()).toEqual(['m_c', 'm_b', 'm_a']);
    const search = view.container.querySelector<HTMLInputElement>('[data-testid="library-search"]')!;
    typeInto(search, 'MATCH');
    await waitFor(() => expect(ids()).toEqual(['m_c', 'm_a']));
    typeInto(search, 'ete');
    await waitFor(() => expect(ids()).toEqual(['m_b']));
    typeInto(search, 'nothing like it');
    await waitFor(() => expect(view!.container.textContent).toContain('No media matches'));
    typeInto(search, '');
    const sort = view.container.querySelector<HTMLSelectElement>('[data-testid="library-sort"]')!;
    for (const [k, want] of [['longest', ['m_a', 'm_c', 'm_b']], ['name', ['m_b', 'm_a', 'm_c']], ['oldest', ['m_a', 'm_b', 'm_c']],
      ['largest', ['m_a', 'm_c', 'm_b']]] as const) {
      selectValue(sort, k);
      await waitFor(() => expect(ids()).toEqual(want));
    }
    // each card has the server's poster, in the picture's shape
    const thumb = cards()[0].querySelector<HTMLElement>('[data-testid="media-thumb"]')!;
    expect(thumb.querySelector('img')!.getAttribute('src')).toBe(`${srv.url}/v1/media/m_a/poster`);
    expect(thumb.style.aspectRatio).toBe(String(1920 / 1080));
  });

  it('shows the filmstrip on hover and steps through it with the arrow keys', async () => {
    srv.media.clear();
    srv.media.set('m_1', { id: 'm_1', uri: 'media://m_1', filename: 'talk.mp4', bytes: 10, created_at: '2026-11-24T19:00:00Z' });
    srv.filmstrips.set('m_1', { media_id: 'm_1', url: '/v1/files/previews/m_1/filmstrip.jpg?exp=1&sig=a', duration_ms: 40_000, count: 4,
      columns: 2, rows: 2, tile_width: 160, tile_height: 90, times_ms: [5000, 15000, 25000, 35000] });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(1));
    const thumb = cards()[0].querySelector<HTMLElement>('[data-testid="media-thumb"]')!;
    act(() => thumb.focus());
    await waitFor(() => expect(thumb.querySelector('[data-testid="media-filmstrip"]')).not.toBeNull());
    const tile = () => thumb.querySelector<HTMLElement>('[data-testid="media-filmstrip"]')!;
    expect(tile().style.backgroundSize).toBe('200% 200%');
    expect(tile().style.backgroundPosition).toBe('0% 0%');
    key(thumb, 'ArrowRight');
    key(thumb, 'ArrowRight');
    key(thumb, 'ArrowRight');
    expect(tile().dataset.tile).toBe('3');
    expect(tile().style.backgroundPosition).toBe('100% 100%');
    expect(thumb.getAttribute('aria-valuetext')).toBe('frame at 0:35');
    key(thumb, 'Home');
    expect(tile().dataset.tile).toBe('0');
    expect(srv.requests.filter((r) => r.url === '/v1/media/m_1/filmstrip')).toHaveLength(1);
  });

  const dialog = () => document.querySelector<HTMLElement>('[data-testid="autoclip-dialog"]')!;
  /** The library with autoclip on the server, and its autoclip dialog open on the newest media. */
  async function openAutoclip() {
    srv.kinds.push('autoclip');
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(PAGE_SIZE));
    await waitFor(() => expect(button('Autoclip…')?.hasAttribute('disabled')).toBe(false));
    click(button('Autoclip…'));
  }

  it('the autoclip dialog sends the chosen settings, checked against the AutoclipRequest schema', async () => {
    await openAutoclip();
    const field = (id: string) => dialog().querySelector<HTMLInputElement & HTMLSelectElement>(`[data-testid="${id}"]`)!;
    expect(dialog().getAttribute('role')).toBe('dialog');
    expect(field('ac-silences').disabled).toBe(false);
    expect(field('ac-silences').checked).toBe(false);
    await waitFor(() => expect(field('ac-template').options.length).toBe(2));
    typeInto(field('ac-count'), '2');
    typeInto(field('ac-min'), '20');
    typeInto(field('ac-max'), '10');
    click([...dialog().querySelectorAll('button')].find((b) => b.textContent === 'Make 2 shorts')!);
    await waitFor(() => expect(dialog().textContent).toContain('Longest: '));
    expect(srv.requests.some((r) => r.method === 'POST' && r.url === '/v1/jobs')).toBe(false);
    typeInto(field('ac-max'), '30.5');
    selectValue(field('ac-template'), 'landscape-clean');
    selectValue(field('ac-profile'), 'podcast');
    selectValue(field('ac-format'), 'horizontal');
    selectValue(field('ac-size'), String(1 / 3));
    click(field('ac-subtitles'));
    click(field('ac-captions'));
    click(field('ac-silences'));
    click(field('ac-strict'));
    typeInto(field('ac-min-score'), '0.6');
    click([...dialog().querySelectorAll('button')].find((b) => b.textContent === 'Make 2 shorts')!);
    await waitFor(() => expect(srv.requests.some((r) => r.method === 'POST' && r.url === '/v1/jobs')).toBe(true));
    const sent = JSON.parse(srv.requests.find((r) => r.method === 'POST' && r.url === '/v1/jobs')!.body);
    expect(sent.kind).toBe('autoclip');
    expect(AutoclipRequestSchema.safeParse(sent.request).success).toBe(true);
    expect(sent.request).toMatchObject({ media_uri: `media://m_${PAGE_SIZE + 3}`, count: 2, min_length_ms: 20_000, max_length_ms: 30_500,
      template_id: 'landscape-clean', profile: 'podcast', format: 'horizontal', captions: false, subtitles: false, remove_silence: true, min_score: 0.6, width: 640, height: 360 });
    await waitFor(() => expect(window.location.pathname).toBe('/jobs/j_1'));
  });

  it('the autoclip dialog uploads a transcript file first and names it in the request; a broken one stops it with the server\'s words', async () => {
    await openAutoclip();
    const field = (id: string) => dialog().querySelector<HTMLInputElement>(`[data-testid="${id}"]`)!;
    const choose = (text: string) => act(() => {
      // node's File, which the test's fetch sends as its bytes (jsdom's is not one to it)
      Object.defineProperty(field('ac-transcript'), 'files', { configurable: true, value: [new NodeFile([text], 'talk.srt', { type: 'application/x-subrip' })] });
      field('ac-transcript').dispatchEvent(new Event('change', { bubbles: true }));
    });
    const make = () => click([...dialog().querySelectorAll('button')].find((b) => b.textContent === 'Make 3 shorts')!);
    const posted = (url: string) => srv.requests.filter((r) => r.method === 'POST' && r.url === url);
    choose('not captions at all');
    expect(field('ac-subtitles').disabled).toBe(true);
    make();
    await waitFor(() => expect(dialog().textContent).toContain('the upload: line 1: no captions found'));
    expect(posted('/v1/jobs')).toHaveLength(0);
    choose('1\n00:00:01,000 --> 00:00:02,000\nhello there\n');
    make();
    await waitFor(() => expect(posted('/v1/jobs')).toHaveLength(1));
    expect(posted('/v1/transcripts').map((r) => r.body)).toEqual(['not captions at all', '1\n00:00:01,000 --> 00:00:02,000\nhello there\n']);
    const sent = JSON.parse(posted('/v1/jobs')[0].body);
    expect(AutoclipRequestSchema.safeParse(sent.request).success).toBe(true);
    expect(sent.request).toMatchObject({ captions: true, transcript_uri: 'storage://transcripts/tr_1.json' });
  });
});
