// Instant preview: plays a timeline live in the browser from its source videos (the
// PreviewRenderer: WebGL, or Canvas 2D where WebGL is unavailable), so an edit shows at once
// without a server render. Keys on the player: Space plays/pauses, ←/→ step 1 s (Shift 5 s).
// The canvas says which backend drew it (data-backend) and the time of the frame on it
// (data-drawn-ms), for tests and for people who wonder.
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Timeline } from '@clipforge/api-client';
import { formatMs } from '@clipforge/ui';
import { scenesAt, sceneStarts, type WordLike } from '../lib/preview/compose';
import type { SceneFraming } from '../lib/preview/geometry';
import { PreviewRenderer, type BackendName } from '../lib/preview/renderer';

interface Props {
  timeline: Timeline;
  /** Playable URL of each scene's source_uri (media://... -> signed URL). */
  urls: Record<string, string | undefined>;
  words?: WordLike[];
  /** How the server frames each scene (smart_crop paths, split regions), by index, once known. */
  framings?: (SceneFraming | undefined)[];
  prefer?: BackendName;
  label?: string;
}

/** Resolves once a frame the video decoded after `seeked` is presented: on a busy machine
 *  Chromium fires `seeked` before the new frame replaces the old one, and drawing then drew the
 *  previous time's picture. Without requestVideoFrameCallback, or when no new frame comes
 *  (the same frame), it waits 250 ms at most. */
function presented(v: HTMLVideoElement): Promise<void> {
  const rvfc = (v as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number })
    .requestVideoFrameCallback;
  if (!rvfc) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 250);
    rvfc.call(v, () => { clearTimeout(timer); resolve(); });
  });
}

/** Resolves when the video shows its frame at `s` seconds. (While a seek runs, currentTime
 *  already says where it goes but the old frame is still shown: not ready.) */
function seekTo(v: HTMLVideoElement, s: number): Promise<void> {
  return new Promise((resolve) => {
    const ready = () => {
      if (v.readyState < 2 || v.seeking) return;
      v.removeEventListener('seeked', ready);
      v.removeEventListener('loadeddata', ready);
      void presented(v).then(resolve);
    };
    v.addEventListener('seeked', ready);
    v.addEventListener('loadeddata', ready);
    if (Math.abs(v.currentTime - s) < 0.001 && v.readyState >= 2 && !v.seeking) {
      v.removeEventListener('seeked', ready);
      v.removeEventListener('loadeddata', ready);
      resolve();
      return;
    }
    v.currentTime = s;
  });
}

export function PreviewPlayer({ timeline, urls, words = [], framings, prefer, label = 'Preview' }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const videos = useRef<(HTMLVideoElement | null)[]>([]);
  const renderer = useRef<PreviewRenderer | undefined>(undefined);
  const [backend, setBackend] = useState<BackendName | undefined>();
  const [t, setT] = useState(0);
  const [drawn, setDrawn] = useState<number | undefined>();
  const [playing, setPlaying] = useState(false);
  const [duration, setDuration] = useState(0);
  const seq = useRef(0);

  // A renderer per timeline (a new canvas size or layout); words change without one.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const r = new PreviewRenderer(c, timeline, words, { prefer });
    r.setFramings(framings ?? []);
    renderer.current = r;
    setBackend(r.backend);
    setDuration(r.durationMs);
    setT((x) => Math.min(x, r.durationMs));
    return () => r.dispose();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [timeline, prefer]);

  useEffect(() => {
    renderer.current?.setWords(words);
  }, [words]);

  useEffect(() => {
    renderer.current?.setFramings(framings ?? []);
  }, [framings]);

  const source = useCallback((i: number) => {
    const v = videos.current[i];
    return v && v.videoWidth ? { el: v, width: v.videoWidth, height: v.videoHeight } : undefined;
  }, []);

  // Paused: position every visible scene's video at t, then draw.
  const show = useCallback(async (at: number) => {
    const mine = ++seq.current;
    const scenes = scenesAt(timeline, at);
    await Promise.all(scenes.map((s) => {
      const v = videos.current[s.index];
      return v ? seekTo(v, s.sourceMs / 1000) : Promise.resolve();
    }));
    if (mine !== seq.current || !renderer.current) return;
    renderer.current.draw(at, source);
    setDrawn(Math.round(at));
  }, [timeline, source]);

  useEffect(() => {
    if (!playing) void show(t);
  }, [t, playing, show, words, framings]);

  // Playing: the first visible scene's video is the clock.
  useEffect(() => {
    if (!playing) return;
    const starts = sceneStarts(timeline);
    let raf = 0;
    let current = scenesAt(timeline, t)[0]?.index ?? 0;
    const start = async () => {
      const v = videos.current[current];
      if (!v) return;
      await seekTo(v, (timeline.scenes[current].in_ms + (t - starts[current])) / 1000);
      void v.play().catch(() => setPlaying(false));
    };
    void start();
    const tick = () => {
      const v = videos.current[current];
      const r = renderer.current;
      if (v && r) {
        const now = starts[current] + v.currentTime * 1000 - timeline.scenes[current].in_ms;
        const end = starts[current] + timeline.scenes[current].out_ms - timeline.scenes[current].in_ms;
        if (now >= end - 1) {
          v.pause();
          if (current + 1 < timeline.scenes.length) {
            current++;
            void start();
          } else {
            setPlaying(false);
            setT(Math.max(0, Math.min(duration, now)));
            return;
          }
        } else {
          r.draw(now, source);
          setDrawn(Math.round(now));
          setT(now);
        }
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => {
      cancelAnimationFrame(raf);
      for (const v of videos.current) v?.pause();
    };
    // the clock starts from t once; t then follows the video
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [playing, timeline, source]);

  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target instanceof HTMLInputElement) return;
    const step = e.shiftKey ? 5000 : 1000;
    if (e.key === ' ') setPlaying((p) => !p);
    else if (e.key === 'ArrowLeft') setT((x) => Math.max(0, x - step));
    else if (e.key === 'ArrowRight') setT((x) => Math.min(duration, x + step));
    else return;
    e.preventDefault();
  };

  const { width: W, height: H } = timeline.canvas;
  return (
    <div className="preview-player" tabIndex={0} onKeyDown={onKey} aria-label={`${label}: Space plays, arrows step`} role="group">
      <canvas ref={canvas} className="preview-canvas" style={{ aspectRatio: `${W} / ${H}`, maxWidth: `min(100%, calc(70vh * ${W / H}))` }} role="img"
        aria-label={`${label} frame at ${formatMs(drawn ?? 0)}`} data-testid="preview-canvas" data-backend={backend}
        data-framing={framings?.some(Boolean) ? 'server' : undefined}
        data-drawn-ms={drawn ?? ''} />
      {timeline.scenes.map((s, i) => (
        <video key={`${i}-${s.source_uri}`} ref={(el) => { videos.current[i] = el; }} src={urls[s.source_uri]} preload="auto"
          playsInline muted={i > 0} hidden onLoadedData={() => !playing && void show(t)} />
      ))}
      <div className="row preview-controls">
        <button type="button" onClick={() => setPlaying((p) => !p)} aria-label={playing ? 'Pause the preview' : 'Play the preview'}
          data-testid="preview-play">{playing ? '❚❚' : '▶'}</button>
        <input type="range" className="grow" min={0} max={Math.max(1, Math.round(duration))} step={40} value={Math.round(t)}
          onChange={(e) => { setPlaying(false); setT(Number(e.target.value)); }} aria-label="Preview time"
          aria-valuetext={formatMs(t)} data-testid="preview-time" />
        <span className="muted time">{formatMs(t)} / {formatMs(duration)}</span>
      </div>
      <small className="muted">Drawn in the browser ({backend === 'webgl' ? 'WebGL' : backend === '2d' ? 'Canvas 2D' : '…'}); the render may differ slightly (fonts, scaling).</small>
    </div>
  );
}
