// Overlays and captions drawn on a transparent 2D canvas the size of the timeline's canvas, as
// the server draws them: drawtext (DejaVu Sans Bold, box of size/3+1 around the text, anchors
// from render_graph.c), drawbox shapes, the progress bar sliding in from the left, and libass
// captions (bold, outline of size/16+1, bottom-centred with the margins of captions.c, the
// spoken word in the highlight colour, doubtful words in italics at 62 % opacity).
import type { Timeline, TimelineCaptions, TimelineOverlay } from '@clipforge/api-client';
import type { CaptionAt, OverlayAt } from './compose';

/** CSS for a colour the renderer accepts (a name of its table, all CSS names too, or #RRGGBB). */
function css(c: string | undefined, fallback: string): string {
  return c && c.trim() ? c : fallback;
}

function even(v: number): number {
  const i = Math.trunc(v);
  return i - (i % 2);
}

/** (x, y) of a box of w x h on a W x H canvas, as the overlay's position anchors it. */
export function anchor(o: TimelineOverlay, W: number, H: number, w: number, h: number): { x: number; y: number } {
  switch (o.position) {
    case 'center': return { x: (W - w) / 2, y: (H - h) / 2 };
    case 'bottom': return { x: (W - w) / 2, y: H * 0.92 - h };
    case 'top_left': return { x: W * 0.05, y: H * 0.05 };
    case 'top_right': return { x: W * 0.95 - w, y: H * 0.05 };
    case 'bottom_left': return { x: W * 0.05, y: H * 0.95 - h };
    case 'bottom_right': return { x: W * 0.95 - w, y: H * 0.95 - h };
    case 'custom': return { x: W * (o.x ?? 0), y: H * (o.y ?? 0) };
    default: return { x: (W - w) / 2, y: H * 0.08 };
  }
}

/** The CSS font of a family name of the renderer's table ("DejaVu Sans Bold" -> bold). */
function fontOf(family: string, px: number, italic = false): string {
  const bold = /\bbold\b/i.test(family);
  const name = family.replace(/\s*\bbold\b/i, '').trim() || 'DejaVu Sans';
  return `${italic ? 'italic ' : ''}${bold ? 'bold ' : ''}${px}px "${name}", sans-serif`;
}

function drawText(ctx: CanvasRenderingContext2D, o: TimelineOverlay, W: number, H: number, r: number) {
  const st = o.style;
  const size = st?.font_size ?? 48;
  const op = st?.opacity ?? 1;
  ctx.font = fontOf(st?.font ?? 'DejaVu Sans Bold', size);
  const m = ctx.measureText(o.text ?? '');
  const asc = m.actualBoundingBoxAscent;
  const w = m.width;
  const h = asc + m.actualBoundingBoxDescent;
  let { x, y } = anchor(o, W, H, w, h);
  if (o.animation === 'slide') y += (1 - r) * H * 0.08;
  ctx.globalAlpha = r * op;
  if (st?.background_color) {
    const b = Math.floor(size / 3) + 1;
    ctx.fillStyle = css(st.background_color, '#000');
    ctx.fillRect(Math.floor(x) - b, Math.floor(y) - b, w + 2 * b, h + 2 * b);
  }
  ctx.fillStyle = css(st?.color, 'white');
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(o.text ?? '', Math.floor(x), Math.floor(y) + asc);
  ctx.globalAlpha = 1;
}

function drawBar(ctx: CanvasRenderingContext2D, o: TimelineOverlay, W: number, H: number, t: number) {
  const h = Math.max(4, even(H * (o.height ?? 0.01)));
  const top = o.position === 'top' || o.position === 'top_left' || o.position === 'top_right';
  const p = Math.min(1, Math.max(0, (t - o.start_ms) / Math.max(1, o.end_ms - o.start_ms)));
  ctx.fillStyle = css(o.style?.color, 'white');
  ctx.fillRect(0, top ? 0 : H - h, Math.round(W * p), h);
}

function drawShape(ctx: CanvasRenderingContext2D, o: TimelineOverlay, W: number, H: number) {
  const w = even(W * (o.width ?? 0.3));
  const h = even(H * (o.height ?? 0.1));
  const x = o.x !== undefined ? Math.trunc(W * o.x) : Math.trunc((W - w) / 2);
  const y = o.y !== undefined ? Math.trunc(H * o.y) : Math.trunc((H - h) / 2);
  ctx.globalAlpha = o.style?.opacity ?? 1;
  ctx.fillStyle = css(o.style?.color, 'white');
  ctx.fillRect(x, y, w, h);
  ctx.globalAlpha = 1;
}

/** Draws the overlays visible at t (images are left to the server: the preview has no file). */
export function drawOverlays(ctx: CanvasRenderingContext2D, tl: Timeline, at: OverlayAt[], t: number) {
  const { width: W, height: H } = tl.canvas;
  for (const { overlay: o, ramp: r } of at) {
    if (o.kind === 'text') drawText(ctx, o, W, H, r);
    else if (o.kind === 'progress_bar') drawBar(ctx, o, W, H, t);
    else if (o.kind === 'shape') drawShape(ctx, o, W, H);
  }
}

/** CSS pixels per ASS font size unit for a family: libass sizes a font by its ascent plus
 *  descent, CSS by its em. */
function assScale(ctx: CanvasRenderingContext2D, family: string): number {
  ctx.font = fontOf(`${family} Bold`, 100);
  const m = ctx.measureText('Hg');
  const cell = (m.fontBoundingBoxAscent ?? 0) + (m.fontBoundingBoxDescent ?? 0);
  return cell > 0 ? 100 / cell : 1 / 1.164;
}

/** Draws the caption line of `at` as the ASS script of captions.c styles it. */
export function drawCaption(ctx: CanvasRenderingContext2D, tl: Timeline, st: TimelineCaptions, at: CaptionAt) {
  const { width: W, height: H } = tl.canvas;
  const px = st.font_size * assScale(ctx, st.font);
  const outline = Math.floor(st.font_size / 16) + 1;
  const font = (italic: boolean) => fontOf(`${st.font} Bold`, px, italic);
  // widths of the words and the space, to centre the whole line
  const parts = at.line.map((w) => {
    ctx.font = font(w.doubtful);
    return ctx.measureText(w.text).width;
  });
  ctx.font = font(false);
  const space = ctx.measureText(' ').width;
  const m = ctx.measureText('Hg');
  const asc = m.fontBoundingBoxAscent ?? px * 0.76;
  const desc = m.fontBoundingBoxDescent ?? px * 0.24;
  const lineW = parts.reduce((a, b) => a + b, 0) + space * (parts.length - 1);
  const marginX = W / 20;
  let x = Math.max(marginX, (W - lineW) / 2);
  let baseline: number;
  if (st.position === 'center') baseline = (H - (asc + desc)) / 2 + asc;
  else if (st.position === 'top') baseline = Math.trunc((H * 8) / 100) + asc;
  else baseline = H - Math.trunc((H * (st.position === 'lower_third' ? 25 : 6)) / 100) - desc;
  ctx.lineJoin = 'round';
  ctx.lineWidth = 2 * outline;
  ctx.textBaseline = 'alphabetic';
  at.line.forEach((w, k) => {
    ctx.font = font(w.doubtful);
    ctx.globalAlpha = w.doubtful ? 0x9f / 0xff : 1;
    ctx.strokeStyle = css(st.outline_color, 'black');
    ctx.strokeText(w.text, x, baseline);
    ctx.fillStyle = k === at.current ? css(st.highlight_color, 'yellow') : css(st.color, 'white');
    ctx.fillText(w.text, x, baseline);
    x += parts[k] + space;
  });
  ctx.globalAlpha = 1;
}
