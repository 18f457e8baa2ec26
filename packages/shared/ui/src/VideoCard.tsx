// The picture of a video card: the poster with a play badge and the length, which becomes the
// playing video when clicked (the video is not loaded before: a page of cards loads only
// posters). Without a video URL the poster cannot be played.
import { useState } from 'react';
import { formatMs } from './format';

interface Props {
  /** What the video is called (for "Play …" and the player's label). */
  title: string;
  videoUrl?: string;
  posterUrl?: string;
  durationMs?: number;
}

export function VideoCard({ title, videoUrl, posterUrl, durationMs }: Props) {
  const [playing, setPlaying] = useState(false);
  return (
    <div className="clip-frame">
      {playing && videoUrl ? (
        <video src={videoUrl} poster={posterUrl} controls autoPlay playsInline data-testid="clip-video"
          aria-label={`${title}, playing`} />
      ) : (
        <button type="button" className="clip-poster" onClick={() => setPlaying(true)} disabled={!videoUrl}
          aria-label={`Play ${title}`} data-testid="clip-play">
          {posterUrl ? <img src={posterUrl} alt="" loading="lazy" data-testid="clip-poster" /> : <span className="thumb-none">no poster</span>}
          <span className="play-badge" aria-hidden="true">▶</span>
          {durationMs !== undefined ? <span className="thumb-time" aria-hidden="true">{formatMs(durationMs, 0)}</span> : null}
        </button>
      )}
    </div>
  );
}
