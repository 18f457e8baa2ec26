// A band of frames under the review timeline: the media's filmstrip (one sprite sheet the
// server made) laid out over the same time axis, so a span can be found by its picture.
// Clicking a frame seeks there.
import type { MediaFilmstrip } from '@clipforge/api-client';
import { formatMs } from './format';
import { tileStyle } from './MediaThumb';

interface Props {
  strip: MediaFilmstrip;
  durationMs: number;
  onSeek: (ms: number) => void;
}

export function FilmstripTrack({ strip, durationMs, onSeek }: Props) {
  const tiles = Array.from({ length: strip.count }, (_, i) => i);
  // the tiles are the middles of equal parts of the media: each fills its part of the axis
  const part = (i: number) => ({ left: `${(i / strip.count) * 100}%`, width: `${100 / strip.count}%` });
  return (
    <div className="filmstrip-track" data-testid="filmstrip-track" aria-label="Frames along the timeline" role="group"
      style={{ aspectRatio: `${(strip.tile_width * strip.count) / strip.tile_height}` }}>
      {tiles.map((i) => {
        const at = strip.times_ms[i] ?? (durationMs * (2 * i + 1)) / (2 * strip.count);
        return (
          <button key={i} type="button" tabIndex={-1} className="filmstrip-tile" style={{ ...part(i), ...tileStyle(strip, i) }}
            aria-label={`Frame at ${formatMs(at, 0)}`} title={formatMs(at, 0)} onClick={() => onSeek(at)} />
        );
      })}
    </div>
  );
}
