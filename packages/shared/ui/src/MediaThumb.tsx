// A media file's picture (the video card's picture): its poster, and on hover or focus its
// filmstrip (one sprite sheet): moving the pointer across, or pressing ←/→, steps through frames
// spread over the file. loadFilmstrip is called on first hover only, so a page of cards does not
// make the server picture every file.
import { useEffect, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { MediaFilmstrip } from '@clipforge/api-client';
import { formatMs } from './format';

/** CSS that shows tile i of a filmstrip's sheet filling its box. */
export function tileStyle(f: MediaFilmstrip, i: number): React.CSSProperties {
  const col = i % f.columns;
  const row = Math.floor(i / f.columns);
  const x = f.columns > 1 ? (col / (f.columns - 1)) * 100 : 0;
  const y = f.rows > 1 ? (row / (f.rows - 1)) * 100 : 0;
  return {
    backgroundImage: f.url ? `url("${f.url}")` : undefined,
    backgroundSize: `${f.columns * 100}% ${f.rows * 100}%`,
    backgroundPosition: `${x}% ${y}%`,
  };
}

interface Props {
  /** Where the poster is served (an <img> src). */
  posterUrl: string;
  /** The filmstrip, or undefined when there is none (asked for on first hover). */
  loadFilmstrip: () => Promise<MediaFilmstrip | undefined>;
  name: string;
  /** Width / height of the picture, when known (else 16 / 9). */
  aspect?: number;
  hasVideo: boolean;
}

export function MediaThumb({ posterUrl, loadFilmstrip, name, aspect, hasVideo }: Props) {
  const [strip, setStrip] = useState<MediaFilmstrip | undefined>();
  const [active, setActive] = useState(false);
  const [tile, setTile] = useState(0);
  const [posterFailed, setPosterFailed] = useState(false);

  useEffect(() => {
    if (!active || strip || !hasVideo) return;
    let live = true;
    void loadFilmstrip().then((f) => live && setStrip(f));
    return () => {
      live = false;
    };
  }, [active, strip, loadFilmstrip, hasVideo]);

  const onMove = (e: PointerEvent<HTMLDivElement>) => {
    if (!strip) return;
    const r = e.currentTarget.getBoundingClientRect();
    const k = Math.floor(((e.clientX - r.left) / Math.max(1, r.width)) * strip.count);
    setTile(Math.max(0, Math.min(strip.count - 1, k)));
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!strip) return;
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : e.key === 'Home' ? -strip.count : e.key === 'End' ? strip.count : 0;
    if (!step) return;
    e.preventDefault();
    setTile((t) => Math.max(0, Math.min(strip.count - 1, t + step)));
  };

  const showStrip = active && strip;
  const at = strip?.times_ms[tile];
  if (!hasVideo) {
    // sound alone: its artwork when the file has one (the server's poster), else a note
    return (
      <div className="thumb thumb-audio" style={{ aspectRatio: '16 / 9' }} role="img" aria-label={`${name}: audio only`}>
        {!posterFailed ? (
          <img src={posterUrl} alt="" loading="lazy" decoding="async" data-testid="media-poster"
            style={{ objectFit: 'contain' }} onError={() => setPosterFailed(true)} />
        ) : <span aria-hidden="true">♪</span>}
      </div>
    );
  }
  return (
    <div
      className={`thumb ${showStrip ? 'thumb-strip' : ''}`}
      style={{ aspectRatio: `${aspect && aspect > 0 ? aspect : 16 / 9}` }}
      tabIndex={0}
      role="slider"
      aria-label={`Frames of ${name}: hover or press the arrow keys to look through the file`}
      aria-valuemin={0}
      aria-valuemax={strip ? strip.count - 1 : 0}
      aria-valuenow={tile}
      aria-valuetext={at !== undefined ? `frame at ${formatMs(at, 0)}` : 'poster'}
      data-testid="media-thumb"
      onPointerEnter={() => setActive(true)}
      onPointerLeave={() => setActive(false)}
      onPointerMove={onMove}
      onFocus={() => setActive(true)}
      onBlur={() => setActive(false)}
      onKeyDown={onKey}
    >
      {!posterFailed ? (
        <img src={posterUrl} alt="" loading="lazy" decoding="async" data-testid="media-poster"
          onError={() => setPosterFailed(true)} />
      ) : <span className="thumb-none" aria-hidden="true">no picture</span>}
      {showStrip ? <div className="thumb-tile" style={tileStyle(strip, tile)} data-testid="media-filmstrip" data-tile={tile} aria-hidden="true" /> : null}
      {showStrip && at !== undefined ? <span className="thumb-time" aria-hidden="true">{formatMs(at, 0)}</span> : null}
    </div>
  );
}
