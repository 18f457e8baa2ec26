// Draws the audio waveform (the server's peaks) and the detector's score curve on one canvas,
// with the playhead and, when known, the engine's threshold for a span as a dashed line.
import { useEffect, useRef } from 'react';

/** The waveform's peaks: being fetched, there (one value 0..1 per bucket), or not to be had. */
export type PeaksState = { state: 'loading' } | { state: 'ready'; peaks: Float32Array } | { state: 'none'; why: string };

interface Props {
  peaks: PeaksState;
  scores: Float32Array;
  /** Where the scores come from: the detector's own curve, or approximated from the spans. */
  source: 'detector' | 'spans';
  threshold?: number;
  progress: number; // playhead, 0..1
  height?: number;
}

export function Waveform({ peaks, scores, source, threshold, progress, height = 96 }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext?.('2d');
    if (!c || !ctx) return;
    const ratio = window.devicePixelRatio || 1;
    const w = c.clientWidth || 600;
    c.width = Math.round(w * ratio);
    c.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, height);
    const mid = height / 2;
    const p = peaks.state === 'ready' ? peaks.peaks : undefined;
    if (p && p.length) {
      ctx.fillStyle = '#8e9bb8';
      const bw = w / p.length;
      for (let i = 0; i < p.length; i++) {
        const h = Math.max(1, p[i] * (height - 8));
        ctx.fillRect(i * bw, mid - h / 2, Math.max(1, bw - 0.5), h);
      }
    }
    if (scores.length) {
      ctx.strokeStyle = '#ff9f1c';
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (let i = 0; i < scores.length; i++) {
        const x = (i / scores.length) * w;
        const y = height - 2 - scores[i] * (height - 6);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
    if (threshold !== undefined) {
      const y = height - 2 - threshold * (height - 6);
      ctx.strokeStyle = 'rgba(255, 159, 28, 0.6)';
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(0, y);
      ctx.lineTo(w, y);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.fillStyle = '#e63946';
    ctx.fillRect(Math.round(progress * w) - 1, 0, 2, height);
  }, [peaks, scores, threshold, progress, height]);

  const what = source === 'detector' ? "the detector's score curve" : 'scores of the highlights';
  return (
    <div className="waveform" data-testid="waveform" data-curve={source} data-peaks={peaks.state}>
      <canvas ref={canvas} style={{ width: '100%', height }} aria-label={`Waveform and ${what}`} role="img" />
      {peaks.state === 'loading' ? <small className="muted" role="status">loading the waveform…</small> : null}
      {peaks.state === 'none' ? <small className="muted" role="status">no waveform: {peaks.why}</small> : null}
    </div>
  );
}
