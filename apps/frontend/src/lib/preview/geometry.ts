// Where each scene layout puts the picture, computed as the server's filter graph computes it
// (packages/pipelines/rendering/src/render_graph.c: libavfilter's scale with
// force_original_aspect_ratio and force_divisible_by, crop centred on even offsets, pad and
// overlay centred), so the browser preview frames a shot exactly as the render does.
import type { SceneLayout } from '@clipforge/api-client';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** One draw of the source: the part `src` of the frame (source pixels) into `dst` (canvas). */
export interface VideoDraw {
  kind: 'video';
  src: Rect;
  dst: Rect;
}

/** The blurred cover of blur_fill: the source cropped to `src`, shrunk to `small` (w x h),
 *  box-blurred twice with `radius`, then stretched over the canvas. */
export interface BlurDraw {
  kind: 'blur';
  src: Rect;
  small: { w: number; h: number };
  radius: number;
}

export type LayoutDraw = VideoDraw | BlurDraw;

/** av_rescale(a, b, c): a * b / c rounded to nearest. */
function rescale(a: number, b: number, c: number): number {
  return Math.round((a * b) / c);
}

/** libavfilter's size for scale=W:H with force_original_aspect_ratio=decrease|increase and
 *  force_divisible_by=div (1 = none). */
export function scaleSize(iw: number, ih: number, W: number, H: number, mode: 'decrease' | 'increase', div = 1): { w: number; h: number } {
  const tmpW = rescale(H, iw, ih);
  const tmpH = rescale(W, ih, iw);
  let w: number;
  let h: number;
  if (mode === 'decrease') {
    w = Math.min(tmpW, W);
    h = Math.min(tmpH, H);
    if (div > 1) {
      w = Math.floor(w / div) * div;
      h = Math.floor(h / div) * div;
    }
  } else {
    w = Math.max(tmpW, W);
    h = Math.max(tmpH, H);
    if (div > 1) {
      w = Math.ceil(w / div) * div;
      h = Math.ceil(h / div) * div;
    }
  }
  return { w, h };
}

/** lrint: to the nearest integer, halves to even (what the crop filter rounds its x and y with). */
function lrint(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** crop=W:H centred on a picture of iw x ih, as the crop filter places it on yuv420p: the
 *  offset rounded (halves to even), then made even for the chroma. */
function centreCrop(iw: number, ih: number, W: number, H: number): { x: number; y: number } {
  const even = (v: number) => Math.max(0, lrint(v) & ~1);
  return { x: even((iw - W) / 2), y: even((ih - H) / 2) };
}

function even(v: number): number {
  const i = Math.trunc(v);
  return i - (i % 2);
}

/** Cover: scale up to cover W x H (divisible by 2), crop the middle. In source pixels. */
function cover(src: Rect, W: number, H: number, div: number): Rect {
  const s = scaleSize(src.w, src.h, W, H, 'increase', div);
  const c = centreCrop(s.w, s.h, W, H);
  const kx = src.w / s.w;
  const ky = src.h / s.h;
  return { x: src.x + c.x * kx, y: src.y + c.y * ky, w: W * kx, h: H * ky };
}

/** The smart-crop camera path of a scene, as the server gives it: crops of crop.width x
 *  crop.height whose corner is at (x, y) from t_ms after the scene's in point. */
export interface CropPath {
  crop: { width: number; height: number };
  samples: { t_ms: number; x: number; y: number }[];
}

/** The crop of path at t ms after the scene's in point: the latest sample at or before t (the
 *  first before it starts), as the render's sendcmd moves it. */
export function cropAt(path: CropPath, t: number): Rect | undefined {
  const s = path.samples;
  if (!s.length) return undefined;
  let lo = 0, hi = s.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s[mid].t_ms <= t) lo = mid;
    else hi = mid - 1;
  }
  return { x: s[lo].x, y: s[lo].y, w: path.crop.width, h: path.crop.height };
}

/** What the server says about framing one scene: a smart_crop scene's camera path, a split
 *  scene's two regions (one per person; none when there are not two). */
export interface SceneFraming {
  cropPath?: CropPath;
  split?: { x: number; y: number; width: number; height: number }[];
}

/** What to draw for a scene of `layout` from a source of iw x ih on a W x H canvas; `crop` is
 *  where a smart_crop scene's camera is at this moment, when its path is known; `split` the
 *  regions a split scene frames on two people. */
export function layoutDraws(layout: SceneLayout, iw: number, ih: number, W: number, H: number, crop?: Rect,
  split?: SceneFraming['split']): LayoutDraw[] {
  const whole: Rect = { x: 0, y: 0, w: iw, h: ih };
  const canvas: Rect = { x: 0, y: 0, w: W, h: H };
  switch (layout) {
    case 'fill':
      return [{ kind: 'video', src: cover(whole, W, H, 2), dst: canvas }];
    case 'smart_crop':
      // The server moves the crop along a camera path it computes from faces and motion
      // (crop, then scale to the canvas); until the path is known the preview holds it in the middle.
      return [{ kind: 'video', src: crop ?? cover(whole, W, H, 1), dst: canvas }];
    case 'blur_fill': {
      const bw = Math.max(16, even(W / 8));
      const bh = Math.max(16, even(H / 8));
      const r = Math.min(10, Math.max(1, Math.floor(Math.min(bw, bh) / 4) - 1));
      const fg = scaleSize(iw, ih, W, H, 'decrease', 2);
      return [
        { kind: 'blur', src: cover(whole, bw, bh, 1), small: { w: bw, h: bh }, radius: r },
        { kind: 'video', src: whole, dst: { x: Math.floor((W - fg.w) / 2), y: Math.floor((H - fg.h) / 2), w: fg.w, h: fg.h } },
      ];
    }
    case 'split': {
      const top = even(H / 2);
      const bot = H - top;
      if (split && split.length === 2) {
        // each panel on a person: the region cropped, scaled to cover the panel, its middle kept
        const [a, b] = split.map((r) => ({ x: r.x, y: r.y, w: r.width, h: r.height }));
        return [
          { kind: 'video', src: cover(a, W, top, 2), dst: { x: 0, y: 0, w: W, h: top } },
          { kind: 'video', src: cover(b, W, bot, 2), dst: { x: 0, y: top, w: W, h: bot } },
        ];
      }
      // without two faces to frame: the left half on top, the right half below
      const half = Math.floor(iw / 2);
      return [
        { kind: 'video', src: cover({ x: 0, y: 0, w: half, h: ih }, W, top, 2), dst: { x: 0, y: 0, w: W, h: top } },
        { kind: 'video', src: cover({ x: half, y: 0, w: half, h: ih }, W, bot, 2), dst: { x: 0, y: top, w: W, h: bot } },
      ];
    }
    default: {
      const s = scaleSize(iw, ih, W, H, 'decrease', 2);
      return [{ kind: 'video', src: whole, dst: { x: Math.floor((W - s.w) / 2), y: Math.floor((H - s.h) / 2), w: s.w, h: s.h } }];
    }
  }
}

/** Box blur of one plane as libavfilter's boxblur does it: windows of 2r+1 reaching past the
 *  edges into the picture's mirror image (edge pixel repeated: src[-k] = src[k-1]). */
function boxPlane(p: Float32Array, w: number, h: number, radius: number, passes: number): void {
  const r = Math.min(radius, Math.floor((Math.min(w, h) - 1) / 2));
  if (r < 1) return;
  const win = 2 * r + 1;
  const line = new Float32Array(Math.max(w, h));
  const mirror = (i: number, n: number) => (i < 0 ? -i - 1 : i >= n ? 2 * n - 1 - i : i);
  const run = (get: (i: number) => number, set: (i: number, v: number) => void, n: number) => {
    for (let i = 0; i < n; i++) line[i] = get(i);
    let sum = 0;
    for (let i = -r; i <= r; i++) sum += line[mirror(i, n)];
    for (let i = 0; i < n; i++) {
      set(i, sum / win);
      sum += line[mirror(i + r + 1, n)] - line[mirror(i - r, n)];
    }
  };
  for (let pass = 0; pass < passes; pass++) {
    for (let y = 0; y < h; y++) run((x) => p[y * w + x], (x, v) => (p[y * w + x] = v), w);
    for (let x = 0; x < w; x++) run((y) => p[y * w + x], (y, v) => (p[y * w + x] = v), h);
  }
}

/** boxblur=radius:passes over RGBA pixels as the filter does it on yuv420p: luma blurred at
 *  full size, chroma on its half-size planes with the same radius (so twice as wide in picture
 *  terms). In place. */
export function boxBlur(data: Uint8ClampedArray, w: number, h: number, radius: number, passes = 2): void {
  const n = w * h;
  const cw = Math.max(1, w >> 1), ch = Math.max(1, h >> 1);
  const Y = new Float32Array(n);
  const U = new Float32Array(cw * ch);
  const V = new Float32Array(cw * ch);
  for (let i = 0; i < n; i++) {
    const r = data[i * 4], g = data[i * 4 + 1], b = data[i * 4 + 2];
    Y[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    const c = Math.min(ch - 1, Math.floor(i / w) >> 1) * cw + Math.min(cw - 1, (i % w) >> 1);
    U[c] += (-0.168736 * r - 0.331264 * g + 0.5 * b) / 4;
    V[c] += (0.5 * r - 0.418688 * g - 0.081312 * b) / 4;
  }
  boxPlane(Y, w, h, radius, passes);
  boxPlane(U, cw, ch, radius, passes);
  boxPlane(V, cw, ch, radius, passes);
  // chroma back to full size: bilinear between the half-size samples' centres
  const at = (P: Float32Array, x: number, y: number) => {
    const fx = Math.min(cw - 1, Math.max(0, (x + 0.5) / 2 - 0.5));
    const fy = Math.min(ch - 1, Math.max(0, (y + 0.5) / 2 - 0.5));
    const x0 = Math.floor(fx), y0 = Math.floor(fy);
    const x1 = Math.min(cw - 1, x0 + 1), y1 = Math.min(ch - 1, y0 + 1);
    const ax = fx - x0, ay = fy - y0;
    return (P[y0 * cw + x0] * (1 - ax) + P[y0 * cw + x1] * ax) * (1 - ay) + (P[y1 * cw + x0] * (1 - ax) + P[y1 * cw + x1] * ax) * ay;
  };
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const u = at(U, x, y), v = at(V, x, y);
      data[i * 4] = Y[i] + 1.402 * v;
      data[i * 4 + 1] = Y[i] - 0.344136 * u - 0.714136 * v;
      data[i * 4 + 2] = Y[i] + 1.772 * u;
    }
}
