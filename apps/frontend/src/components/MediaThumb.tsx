// A media file's picture in the library: its poster (GET /v1/media/{id}/poster), and on hover
// or focus its filmstrip (GET /v1/media/{id}/filmstrip, one sprite sheet): moving the pointer
// across, or pressing ←/→, steps through frames spread over the file. The filmstrip is asked
// for on first hover only, so a library page does not make the server picture every file.
import { useEffect, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { type ApiClient, type MediaFilmstrip } from '@clipforge/api-client';
import { formatMs } from '../lib/format';

const strips = new Map<string, Promise<MediaFilmstrip | undefined>>();

/** The filmstrip of a media file, asked for once per page load (again after a failure). */
export function filmstripOf(client: ApiClient, id: string): Promise<MediaFilmstrip | undefined> {
  let p = strips.get(id);
  if (!p) {
    p = client.getFilmstrip(id).catch(() => {
      strips.delete(id); // a later look may find it (the server may have been busy)
      return undefined;
    });
    strips.set(id, p);
  }
  return p;
}

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
  client: ApiClient;
  mediaId: string;
  name: string;
  /** Width / height of the picture, when known (else 16 / 9). */
  aspect?: number;
  hasVideo: boolean;
}

export function MediaThumb({ client, mediaId, name, aspect, hasVideo }: Props) {
  const [strip, setStrip] = useState<MediaFilmstrip | undefined>();
  const [active, setActive] = useState(false);
  const [tile, setTile] = useState(0);
  const [posterFailed, setPosterFailed] = useState(false);

  useEffect(() => {
    if (!active || strip || !hasVideo) return;
    let live = true;
    void filmstripOf(client, mediaId).then((f) => live && setStrip(f));
    return () => {
      live = false;
    };
  }, [active, strip, client, mediaId, hasVideo]);

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
    return (
      <div className="thumb thumb-audio" style={{ aspectRatio: '16 / 9' }} role="img" aria-label={`${name}: audio only`}>
        <span aria-hidden="true">♪</span>
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
        <img src={client.posterUrl(mediaId)} alt="" loading="lazy" decoding="async" data-testid="media-poster"
          onError={() => setPosterFailed(true)} />
      ) : <span className="thumb-none" aria-hidden="true">no picture</span>}
      {showStrip ? <div className="thumb-tile" style={tileStyle(strip, tile)} data-testid="media-filmstrip" data-tile={tile} aria-hidden="true" /> : null}
      {showStrip && at !== undefined ? <span className="thumb-time" aria-hidden="true">{formatMs(at, 0)}</span> : null}
    </div>
  );
}
