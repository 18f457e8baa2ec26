// Waveform and score-curve data for the review screen: pure functions over samples and spans.

/** Peak amplitude (0..1) of each of `buckets` equal slices of the samples (or of finer peaks,
 *  such as the server's waveform). */
export function peaks(samples: Float32Array, buckets: number): Float32Array {
  const out = new Float32Array(Math.max(0, buckets));
  if (!samples.length || !buckets) return out;
  const per = samples.length / buckets;
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * per);
    const to = Math.max(from + 1, Math.floor((b + 1) * per));
    let m = 0;
    for (let i = from; i < to && i < samples.length; i++) {
      const v = Math.abs(samples[i]);
      if (v > m) m = v;
    }
    out[b] = Math.min(1, m);
  }
  return out;
}

export interface ScoredSpan {
  start_ms: number;
  end_ms: number;
  score: number;
}

/** The detector's score over time in `buckets` slices: the best span covering each slice, 0 elsewhere. */
export function scoreCurve(spans: ScoredSpan[], durationMs: number, buckets: number): Float32Array {
  const out = new Float32Array(Math.max(0, buckets));
  if (durationMs <= 0) return out;
  for (const s of spans) {
    const from = Math.max(0, Math.floor((s.start_ms / durationMs) * buckets));
    const to = Math.min(buckets, Math.ceil((s.end_ms / durationMs) * buckets));
    for (let b = from; b < to; b++) out[b] = Math.max(out[b], s.score);
  }
  return out;
}

export interface SampledCurve {
  step_ms: number;
  values: number[];
}

/** A curve sampled every step_ms (the detector's own score curve) resampled to `buckets` slices
 *  of durationMs: each slice takes the value of the step its middle falls in (0 past the end). */
export function resampleCurve(curve: SampledCurve, durationMs: number, buckets: number): Float32Array {
  const out = new Float32Array(Math.max(0, buckets));
  if (durationMs <= 0 || curve.step_ms <= 0) return out;
  for (let b = 0; b < buckets; b++) {
    const t = ((b + 0.5) / buckets) * durationMs;
    const v = curve.values[Math.floor(t / curve.step_ms)];
    out[b] = v === undefined ? 0 : Math.max(0, Math.min(1, v));
  }
  return out;
}
