// How long a running job has left, from how fast its progress has moved since we first saw it
// running: remaining = elapsed × (1 − p) / (p − p0). Shown only once there is something to go
// on (a few seconds and a few percent), and rounded as a person would say it.

export interface ProgressSample {
  at: number; // ms (Date.now())
  progress: number; // 0..1
}

const MIN_ELAPSED_MS = 3000;
const MIN_GAIN = 0.02;

/** Milliseconds left, or undefined when the samples do not tell yet. */
export function remainingMs(first: ProgressSample, last: ProgressSample): number | undefined {
  const gain = last.progress - first.progress;
  const elapsed = last.at - first.at;
  if (elapsed < MIN_ELAPSED_MS || gain < MIN_GAIN || last.progress >= 1) return undefined;
  return (elapsed * (1 - last.progress)) / gain;
}

/** 95_000 -> "about 2 min left"; 40_000 -> "about 40 s left". */
export function formatRemaining(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return 'a few seconds left';
  if (s < 60) return `about ${Math.round(s / 5) * 5} s left`;
  if (s < 3600) return `about ${Math.round(s / 60)} min left`;
  const h = Math.floor(s / 3600);
  return `about ${h} h ${Math.round((s - h * 3600) / 60)} min left`;
}
