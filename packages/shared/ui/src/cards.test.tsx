// The media card's picture (the poster, an audio-only stand-in, the filmstrip loaded on first
// hover and stepped through with the arrow keys), the frames band, and the video card.
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaFilmstrip } from '@clipforge/api-client';
import { FilmstripTrack } from './FilmstripTrack';
import { MediaThumb } from './MediaThumb';
import { VideoCard } from './VideoCard';
import { click, key, render, waitFor, type Rendered } from './testing';

let view: Rendered | undefined;
afterEach(() => view?.unmount());

const strip: MediaFilmstrip = {
  media_id: 'm_1', duration_ms: 40_000, count: 4, columns: 2, rows: 2, tile_width: 160, tile_height: 90,
  times_ms: [5_000, 15_000, 25_000, 35_000], url: '/v1/files/strip.jpg',
};

describe('MediaThumb', () => {
  it('shows the poster and loads the filmstrip once, on first hover', async () => {
    let loads = 0;
    const load = () => {
      loads++;
      return Promise.resolve(strip);
    };
    view = render(<MediaThumb posterUrl="/v1/media/m_1/poster" loadFilmstrip={load} name="talk.mp4" hasVideo />);
    const thumb = view.container.querySelector<HTMLElement>('[data-testid="media-thumb"]')!;
    expect(view.container.querySelector('img')!.getAttribute('src')).toBe('/v1/media/m_1/poster');
    expect(loads).toBe(0);
    act(() => thumb.focus());
    await waitFor(() => expect(view!.container.querySelector('[data-testid="media-filmstrip"]')).not.toBeNull());
    expect(loads).toBe(1);
    key(thumb, 'ArrowRight');
    key(thumb, 'ArrowRight');
    expect(thumb.getAttribute('aria-valuenow')).toBe('2');
    expect(thumb.getAttribute('aria-valuetext')).toBe('frame at 0:25');
    key(thumb, 'End');
    expect(thumb.getAttribute('aria-valuenow')).toBe('3');
    expect(loads).toBe(1);
  });

  it('shows the artwork of a file without video, a note when it has none, and asks for no filmstrip', () => {
    let loads = 0;
    view = render(<MediaThumb posterUrl="/p" loadFilmstrip={() => Promise.resolve(undefined).finally(() => loads++)} name="pod.mp3" hasVideo={false} />);
    expect(view.container.querySelector('[role="img"]')!.getAttribute('aria-label')).toBe('pod.mp3: audio only');
    const img = view.container.querySelector('img')!;
    expect(img.getAttribute('src')).toBe('/p');
    act(() => { img.dispatchEvent(new Event('error')); });
    expect(view.container.querySelector('img')).toBeNull();
    expect(view.container.textContent).toContain('♪');
    expect(loads).toBe(0);
  });
});

describe('FilmstripTrack', () => {
  it('lays the frames over the time axis and seeks to the one clicked', () => {
    const seeks: number[] = [];
    view = render(<FilmstripTrack strip={strip} durationMs={40_000} onSeek={(ms) => seeks.push(ms)} />);
    const tiles = view.container.querySelectorAll<HTMLButtonElement>('.filmstrip-tile');
    expect(tiles).toHaveLength(4);
    expect(tiles[2].style.left).toBe('50%');
    expect(tiles[2].getAttribute('aria-label')).toBe('Frame at 0:25');
    click(tiles[2]);
    expect(seeks).toEqual([25_000]);
  });
});

describe('VideoCard', () => {
  it('shows the poster and its length, and plays the video only when asked', () => {
    view = render(<VideoCard title="The goal" videoUrl="/v1/files/a.mp4" posterUrl="/v1/files/a.jpg" durationMs={31_000} />);
    expect(view.container.querySelector('video')).toBeNull();
    const play = view.container.querySelector<HTMLButtonElement>('[data-testid="clip-play"]')!;
    expect(play.getAttribute('aria-label')).toBe('Play The goal');
    expect(view.container.querySelector('[data-testid="clip-poster"]')!.getAttribute('src')).toBe('/v1/files/a.jpg');
    expect(view.container.querySelector('.thumb-time')!.textContent).toBe('0:31');
    click(play);
    const video = view.container.querySelector('video')!;
    expect(video.getAttribute('src')).toBe('/v1/files/a.mp4');
    expect(video.getAttribute('poster')).toBe('/v1/files/a.jpg');
  });

  it('cannot be played without a video', () => {
    view = render(<VideoCard title="Pending" />);
    expect(view.container.querySelector<HTMLButtonElement>('[data-testid="clip-play"]')!.disabled).toBe(true);
    expect(view.container.textContent).toContain('no poster');
  });
});
