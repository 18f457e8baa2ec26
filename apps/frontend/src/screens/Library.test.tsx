// The media library lists GET /v1/media newest first with the stored file names, a page at a
// time ("Show older media" follows next_cursor), and drops deleted media.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { ApiClient } from '../api/client';
import { AutoclipRequestSchema } from '../generated/domain';
import { PAGE_SIZE } from '../state/media';
import { click, render, waitFor, type Rendered } from '../test/render';
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

  it('drops a deleted file from the list', async () => {
    vi.spyOn(window, 'confirm').mockReturnValue(true);
    srv.media.clear();
    srv.media.set('m_1', { id: 'm_1', uri: 'media://m_1', filename: 'talk.mp4', bytes: 10, created_at: '2026-11-24T19:00:00Z' });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(1));
    click(button('Delete'));
    await waitFor(() => expect(cards()).toHaveLength(0));
    expect(srv.requests.some((r) => r.method === 'DELETE' && r.url === '/v1/media/m_1')).toBe(true);
  });

  it('one-click autoclip sends a request the AutoclipRequest schema accepts', async () => {
    srv.kinds.push('autoclip');
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(cards()).toHaveLength(PAGE_SIZE));
    await waitFor(() => expect(button('One-click autoclip')?.hasAttribute('disabled')).toBe(false));
    click(button('One-click autoclip'));
    await waitFor(() => expect(srv.requests.some((r) => r.method === 'POST' && r.url === '/v1/jobs')).toBe(true));
    const sent = JSON.parse(srv.requests.find((r) => r.method === 'POST' && r.url === '/v1/jobs')!.body);
    expect(sent.kind).toBe('autoclip');
    expect(AutoclipRequestSchema.safeParse(sent.request).success).toBe(true);
    expect(sent.request.media_uri).toBe(`media://m_${PAGE_SIZE + 3}`);
  });
});
