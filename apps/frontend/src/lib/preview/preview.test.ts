// The preview's geometry and timing against what the server's filter graph does: scale with
// force_original_aspect_ratio and force_divisible_by, centred crops on even offsets, the blur
// cover at an eighth, split halves; scenes, transitions, overlay ramps and caption lines.
import { describe, expect, it } from 'vitest';
import type { Timeline, TimelineCaptions } from '@clipforge/api-client';
import { captionAt, captionLines, captionWords, ramp, scenesAt, timelineDuration } from './compose';
import { boxBlur, cropAt, layoutDraws, scaleSize } from './geometry';

describe('geometry', () => {
  it('scales as libavfilter does', () => {
    // 320x240 into 360x640: decrease keeps the width (640x... too tall), divisible by 2
    expect(scaleSize(320, 240, 360, 640, 'decrease', 2)).toEqual({ w: 360, h: 270 });
    expect(scaleSize(320, 240, 360, 640, 'increase', 2)).toEqual({ w: 854, h: 640 });
    expect(scaleSize(1920, 1080, 1080, 1920, 'increase', 1)).toEqual({ w: 3413, h: 1920 });
    expect(scaleSize(1920, 1080, 1080, 1920, 'increase', 2)).toEqual({ w: 3414, h: 1920 });
  });

  it('lays out fit, fill, blur_fill and split', () => {
    expect(layoutDraws('fit', 320, 240, 360, 640)).toEqual([{ kind: 'video', src: { x: 0, y: 0, w: 320, h: 240 }, dst: { x: 0, y: 185, w: 360, h: 270 } }]);
    const [fill] = layoutDraws('fill', 320, 240, 360, 640);
    // scaled to 854x640, crop x = (854-360)/2 = 247 -> even 246, in source pixels x 320/854
    expect(fill.kind === 'video' && fill.src.x).toBeCloseTo((246 * 320) / 854, 6);
    expect(fill.kind === 'video' && fill.src.w).toBeCloseTo((360 * 320) / 854, 6);
    const blur = layoutDraws('blur_fill', 320, 240, 360, 640);
    expect(blur[0]).toMatchObject({ kind: 'blur', small: { w: 44, h: 80 }, radius: 10 });
    expect(blur[1]).toMatchObject({ kind: 'video', dst: { x: 0, y: 185, w: 360, h: 270 } });
    const split = layoutDraws('split', 320, 240, 360, 640);
    expect(split.map((d) => d.kind === 'video' && d.dst)).toEqual([{ x: 0, y: 0, w: 360, h: 320 }, { x: 0, y: 320, w: 360, h: 320 }]);
    expect(split[1].kind === 'video' && split[1].src.x).toBeGreaterThanOrEqual(160);
  });

  it('follows the smart crop camera path as the render moves it', () => {
    const path = { crop: { width: 134, height: 240 }, samples: [{ t_ms: 20, x: 11, y: 0 }, { t_ms: 60, x: 14, y: 0 }, { t_ms: 100, x: 20, y: 0 }] };
    // before the first sample the first holds (sendcmd sets it at 0); then the latest at or before t
    expect(cropAt(path, 0)).toEqual({ x: 11, y: 0, w: 134, h: 240 });
    expect(cropAt(path, 59)?.x).toBe(11);
    expect(cropAt(path, 60)?.x).toBe(14);
    expect(cropAt(path, 5000)?.x).toBe(20);
    expect(cropAt({ crop: path.crop, samples: [] }, 0)).toBeUndefined();
    const crop = cropAt(path, 100)!;
    expect(layoutDraws('smart_crop', 320, 240, 360, 640, crop)).toEqual([{ kind: 'video', src: crop, dst: { x: 0, y: 0, w: 360, h: 640 } }]);
    // without a path: the middle
    const [mid] = layoutDraws('smart_crop', 320, 240, 360, 640);
    expect(mid.kind === 'video' && mid.src.x + mid.src.w / 2).toBeCloseTo(160, 0);
  });

  it('frames split panels on the two people when the server found them', () => {
    // 640x360 source, regions of the panels' aspect (360:320), as crop + cover + middle crop
    const split = [{ x: 20, y: 0, width: 300, height: 267 }, { x: 330, y: 60, width: 300, height: 267 }];
    const [top, bot] = layoutDraws('split', 640, 360, 360, 640, undefined, split);
    expect(top.kind === 'video' && top.dst).toEqual({ x: 0, y: 0, w: 360, h: 320 });
    expect(bot.kind === 'video' && bot.dst).toEqual({ x: 0, y: 320, w: 360, h: 320 });
    // inside the regions, not the halves
    expect(top.kind === 'video' && top.src.x).toBeGreaterThanOrEqual(20);
    expect(top.kind === 'video' && top.src.x + top.src.w).toBeLessThanOrEqual(320.01);
    expect(bot.kind === 'video' && bot.src.y).toBeGreaterThanOrEqual(60);
    // no people: the halves
    expect(layoutDraws('split', 640, 360, 360, 640, undefined, [])).toEqual(layoutDraws('split', 640, 360, 360, 640));
  });

  it('box-blurs a step into a ramp, mirrored at the edges', () => {
    const w = 8;
    const h = 8;
    const d = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) d.set(x < 4 ? [0, 0, 0, 255] : [255, 255, 255, 255], (y * w + x) * 4);
    boxBlur(d, w, h, 1);
    const r = [...Array(w).keys()].map((x) => d[(3 * w + x) * 4]);
    // the mirrored edge keeps the ends at their own value; the step becomes a ramp
    expect(r[0]).toBe(0);
    expect(r[7]).toBe(255);
    expect(r[3]).toBeGreaterThan(0);
    expect(r[4]).toBeLessThan(255);
    for (let x = 1; x < w; x++) expect(r[x]).toBeGreaterThanOrEqual(r[x - 1]);
    // grey stays grey: chroma blurred on its own planes does not tint it
    const g = new Uint8ClampedArray(w * h * 4).fill(128);
    boxBlur(g, w, h, 2);
    expect(Math.max(...[...g].map((v) => Math.abs(v - 128)))).toBeLessThanOrEqual(1);
  });
});

const canvas = { width: 360, height: 640, fps: 30, background: 'black' };
const tl = (extra: Partial<Timeline> = {}): Timeline => ({
  canvas, scenes: [{ source_uri: 'media://a', in_ms: 10_000, out_ms: 16_000, layout: 'blur_fill' }], overlays: [], audio_tracks: [],
  outputs: [{ format: 'mp4' }], loudness_lufs: -14, ...extra,
});

describe('timing', () => {
  it('maps timeline time to the scene and its source time, through a transition', () => {
    const t = tl({ scenes: [{ source_uri: 'media://a', in_ms: 0, out_ms: 4000, layout: 'fit' },
      { source_uri: 'media://b', in_ms: 1000, out_ms: 5000, layout: 'fill', transition: { kind: 'fade', duration_ms: 1000 } }] });
    expect(timelineDuration(t)).toBe(7000);
    expect(scenesAt(t, 500)).toMatchObject([{ index: 0, sourceMs: 500, alpha: 1 }]);
    expect(scenesAt(t, 3500)).toMatchObject([{ index: 0, sourceMs: 3500 }, { index: 1, sourceMs: 1500, alpha: 0.5 }]);
    expect(scenesAt(t, 6000)).toMatchObject([{ index: 1, sourceMs: 4000, alpha: 1 }]);
  });

  it('ramps an overlay in and out as drawtext\'s alpha does', () => {
    const o = { kind: 'text' as const, start_ms: 0, end_ms: 4000, text: 'x', position: 'top' as const, animation: 'fade' as const, animation_ms: 300 };
    expect(ramp(o, 150)).toBeCloseTo(0.5);
    expect(ramp(o, 2000)).toBe(1);
    expect(ramp(o, 3850)).toBeCloseTo(0.5);
    expect(ramp({ ...o, animation: 'none' }, 10)).toBe(1);
  });

  it('makes caption lines and the spoken word as the renderer does', () => {
    const cap: TimelineCaptions = { source_uri: 'x', font: 'DejaVu Sans', font_size: 64, color: 'white', outline_color: 'black',
      highlight_color: 'yellow', position: 'lower_third', words_per_line: 3, offset_ms: 10_000 };
    const words = [
      { word: 'one', start_ms: 10_100, end_ms: 10_400, confidence: 0.9 },
      { word: 'two', start_ms: 10_500, end_ms: 10_800, confidence: 0.5 },
      { word: 'gone', start_ms: 10_850, end_ms: 10_900, confidence: 0.1 },
      { word: 'three', start_ms: 10_900, end_ms: 11_200, confidence: 0.9 },
      { word: 'four', start_ms: 11_250, end_ms: 11_500, confidence: 0.9 },
      { word: 'after', start_ms: 12_500, end_ms: 12_800, confidence: 0.9 },
      { word: 'outside', start_ms: 30_000, end_ms: 30_500, confidence: 0.9 },
    ];
    const cw = captionWords(words, cap, 6000);
    expect(cw.map((w) => w.text)).toEqual(['one', 'two', 'three', 'four', 'after']);
    expect(cw[1]).toMatchObject({ start_ms: 500, doubtful: true });
    const lines = captionLines(cw, cap.words_per_line);
    expect(lines.map((l) => l.map((w) => w.text).join(' '))).toEqual(['one two three', 'four', 'after']);
    expect(captionAt(lines, 700)).toMatchObject({ current: 1 });
    expect(captionAt(lines, 1150)?.current).toBe(2);
    expect(captionAt(lines, 2000)).toBeUndefined();
  });
});
