// What a timeline shows at a moment, as the server's renderer lays it out: which scene (and,
// during a transition, the one fading out), where in its source, which overlays with what
// opacity, and the caption line with the word being spoken. Pure functions over the Timeline
// contract (packages/domain/schemas/Timeline.json).
import type { Timeline, TimelineCaptions, TimelineOverlay, TimelineScene } from '@clipforge/api-client';

/** Confidence under which the renderer leaves a word out, and under which it marks it doubtful
 *  (CF_CAPTION_OMIT_BELOW / CF_CAPTION_DOUBT_BELOW of the transcription package). */
export const OMIT_BELOW = 0.3;
export const DOUBT_BELOW = 0.6;
/** A pause this long starts a new caption line (captions.c LINE_BREAK_GAP_MS). */
export const LINE_BREAK_GAP_MS = 700;

export interface SceneAt {
  index: number;
  scene: TimelineScene;
  /** Where in the source, ms. */
  sourceMs: number;
  /** 1, or less while a transition fades it in. */
  alpha: number;
}

/** When each scene starts on the timeline (transitions overlap the previous scene's end). */
export function sceneStarts(tl: Timeline): number[] {
  const starts: number[] = [];
  let acc = 0;
  tl.scenes.forEach((s, i) => {
    const t = i > 0 && s.transition && s.transition.kind !== 'cut' ? s.transition.duration_ms : 0;
    acc -= t;
    starts.push(acc);
    acc += s.out_ms - s.in_ms;
  });
  return starts;
}

/** Length of the timeline, ms. */
export function timelineDuration(tl: Timeline): number {
  const starts = sceneStarts(tl);
  const last = tl.scenes.length - 1;
  return starts[last] + tl.scenes[last].out_ms - tl.scenes[last].in_ms;
}

/** The scenes visible at t (ms), bottom first: one, or two during a transition. */
export function scenesAt(tl: Timeline, t: number): SceneAt[] {
  const starts = sceneStarts(tl);
  const out: SceneAt[] = [];
  tl.scenes.forEach((scene, index) => {
    const start = starts[index];
    const len = scene.out_ms - scene.in_ms;
    const isLast = index === tl.scenes.length - 1;
    if (t < start || (t >= start + len && !isLast)) return;
    const fadeIn = index > 0 && scene.transition && scene.transition.kind !== 'cut' ? scene.transition.duration_ms : 0;
    const alpha = fadeIn > 0 ? Math.min(1, Math.max(0, (t - start) / fadeIn)) : 1;
    out.push({ index, scene, sourceMs: scene.in_ms + Math.min(len, t - start), alpha });
  });
  return out;
}

export interface OverlayAt {
  overlay: TimelineOverlay;
  /** 0..1 (the fade or slide of its animation). */
  ramp: number;
}

/** The overlay's animation ramp at t: clip(min((t-s)/a, (e-t)/a), 0, 1), as drawtext's alpha. */
export function ramp(o: TimelineOverlay, t: number): number {
  if (o.animation === 'none' || o.animation_ms <= 0) return 1;
  const a = o.animation_ms;
  return Math.min(1, Math.max(0, Math.min((t - o.start_ms) / a, (o.end_ms - t) / a)));
}

export function overlaysAt(tl: Timeline, t: number): OverlayAt[] {
  return tl.overlays.filter((o) => t >= o.start_ms && t <= o.end_ms).map((overlay) => ({ overlay, ramp: ramp(overlay, t) }));
}

/** A word as the captions show it (timeline time). */
export interface CaptionWord {
  text: string;
  start_ms: number;
  end_ms: number;
  doubtful: boolean;
}

export interface WordLike {
  word: string;
  start_ms: number;
  end_ms: number;
  confidence?: number;
}

/** The words of a transcript (source times) as the renderer reads them for a timeline: low
 *  confidence words left out or marked doubtful, shifted by offset_ms and cut to the timeline. */
export function captionWords(words: WordLike[], captions: TimelineCaptions, limitMs: number): CaptionWord[] {
  const out: CaptionWord[] = [];
  for (const w of words) {
    const c = w.confidence;
    if (c !== undefined && c < OMIT_BELOW) continue;
    let s = w.start_ms - captions.offset_ms;
    let e = w.end_ms - captions.offset_ms;
    if (e <= 0 || s >= limitMs) continue;
    s = Math.max(0, s);
    e = Math.min(limitMs, e);
    out.push({ text: w.word, start_ms: s, end_ms: e, doubtful: c !== undefined && c < DOUBT_BELOW });
  }
  return out;
}

/** Lines as the renderer groups words: at most per_line words, broken at pauses. */
export function captionLines(words: CaptionWord[], perLine: number): CaptionWord[][] {
  const lines: CaptionWord[][] = [];
  for (let i = 0; i < words.length;) {
    let j = i + 1;
    while (j < words.length && j - i < perLine && words[j].start_ms - words[j - 1].end_ms < LINE_BREAK_GAP_MS) j++;
    lines.push(words.slice(i, j));
    i = j;
  }
  return lines;
}

export interface CaptionAt {
  line: CaptionWord[];
  /** Index in line of the word being spoken. */
  current: number;
}

/** The line on screen at t and its highlighted word: each word's event runs from its start to
 *  the next word's start (the last to its own end). */
export function captionAt(lines: CaptionWord[][], t: number): CaptionAt | undefined {
  for (const line of lines) {
    for (let k = 0; k < line.length; k++) {
      const s = line[k].start_ms;
      const e = k + 1 < line.length ? line[k + 1].start_ms : line[line.length - 1].end_ms;
      if (e > s && t >= s && t < e) return { line, current: k };
    }
  }
  return undefined;
}
