// The browser's RenderPipeline: draws one frame of a timeline from the source videos. Two
// backends share the composition (layouts from geometry.ts, overlays and captions from
// overlays.ts drawn on a transparent 2D layer): WebGL draws the video layers as textured quads
// on the GPU, Canvas 2D draws them with drawImage where WebGL is not available. The blurred
// cover of blur_fill is made as the server makes it, on a picture an eighth of the canvas, so
// it costs a few thousand pixels of CPU whatever the canvas size.
import type { Timeline } from '@clipforge/api-client';
import { captionAt, captionLines, captionWords, overlaysAt, scenesAt, timelineDuration, type WordLike } from './compose';
import { boxBlur, cropAt, layoutDraws, type LayoutDraw, type Rect, type SceneFraming } from './geometry';
import { drawCaption, drawOverlays } from './overlays';

export type BackendName = 'webgl' | '2d';

/** A source frame to draw from: a <video> (or any image source with a size). */
export interface Source {
  el: HTMLVideoElement | HTMLCanvasElement | HTMLImageElement;
  width: number;
  height: number;
}

interface Backend {
  readonly name: BackendName;
  begin(background: string): void;
  image(el: TexImageSource | CanvasImageSource, src: Rect, dst: Rect, alpha: number, key: string): void;
  end(): void;
  dispose(): void;
}

class Canvas2DBackend implements Backend {
  readonly name = '2d' as const;
  private readonly ctx: CanvasRenderingContext2D;
  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D context');
    this.ctx = ctx;
  }
  begin(background: string) {
    this.ctx.globalAlpha = 1;
    this.ctx.fillStyle = background;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.imageSmoothingQuality = 'high';
  }
  image(el: CanvasImageSource, s: Rect, d: Rect, alpha: number) {
    this.ctx.globalAlpha = alpha;
    this.ctx.drawImage(el, s.x, s.y, s.w, s.h, d.x, d.y, d.w, d.h);
    this.ctx.globalAlpha = 1;
  }
  end() {}
  dispose() {}
}

const VERTEX = `attribute vec2 p; uniform vec4 dst; uniform vec4 src; varying vec2 uv;
void main() { vec2 q = dst.xy + p * dst.zw; gl_Position = vec4(q.x * 2.0 - 1.0, 1.0 - q.y * 2.0, 0.0, 1.0); uv = src.xy + p * src.zw; }`;
const FRAGMENT = `precision mediump float; uniform sampler2D tex; uniform float alpha; varying vec2 uv;
void main() { vec4 c = texture2D(tex, uv); gl_FragColor = vec4(c.rgb * alpha, c.a * alpha); }`;

class WebGLBackend implements Backend {
  readonly name = 'webgl' as const;
  private readonly gl: WebGLRenderingContext;
  private readonly prog: WebGLProgram;
  private readonly textures = new Map<string, WebGLTexture>();
  private readonly loc: { dst: WebGLUniformLocation; src: WebGLUniformLocation; alpha: WebGLUniformLocation };

  constructor(private readonly canvas: HTMLCanvasElement) {
    // preserveDrawingBuffer: the frame stays readable (tests, screenshots) after it is shown
    const gl = canvas.getContext('webgl', { premultipliedAlpha: true, preserveDrawingBuffer: true, antialias: false });
    if (!gl) throw new Error('no WebGL');
    this.gl = gl;
    const shader = (type: number, text: string) => {
      const s = gl.createShader(type)!;
      gl.shaderSource(s, text);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s) ?? 'shader');
      return s;
    };
    const prog = gl.createProgram()!;
    gl.attachShader(prog, shader(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(prog) ?? 'program');
    this.prog = prog;
    gl.useProgram(prog);
    const buf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
    const p = gl.getAttribLocation(prog, 'p');
    gl.enableVertexAttribArray(p);
    gl.vertexAttribPointer(p, 2, gl.FLOAT, false, 0, 0);
    this.loc = {
      dst: gl.getUniformLocation(prog, 'dst')!,
      src: gl.getUniformLocation(prog, 'src')!,
      alpha: gl.getUniformLocation(prog, 'alpha')!,
    };
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, true);
  }

  begin(background: string) {
    const gl = this.gl;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    const [r, g, b] = cssRgb(background);
    gl.clearColor(r / 255, g / 255, b / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
  }

  image(el: TexImageSource, s: Rect, d: Rect, alpha: number, key: string) {
    const gl = this.gl;
    let tex = this.textures.get(key);
    if (!tex) {
      tex = gl.createTexture()!;
      gl.bindTexture(gl.TEXTURE_2D, tex);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
      this.textures.set(key, tex);
    }
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, el);
    const [iw, ih] = sizeOf(el);
    const W = this.canvas.width;
    const H = this.canvas.height;
    gl.uniform4f(this.loc.dst, d.x / W, d.y / H, d.w / W, d.h / H);
    gl.uniform4f(this.loc.src, s.x / iw, s.y / ih, s.w / iw, s.h / ih);
    gl.uniform1f(this.loc.alpha, alpha);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  end() {
    this.gl.flush();
  }

  dispose() {
    for (const t of this.textures.values()) this.gl.deleteTexture(t);
    this.textures.clear();
    this.gl.deleteProgram(this.prog);
  }
}

function sizeOf(el: TexImageSource | CanvasImageSource): [number, number] {
  if (el instanceof HTMLVideoElement) return [el.videoWidth, el.videoHeight];
  if (el instanceof HTMLImageElement) return [el.naturalWidth, el.naturalHeight];
  const e = el as { width: number; height: number };
  return [e.width, e.height];
}

/** [r, g, b] of a CSS colour, through a 1x1 canvas. */
export function cssRgb(color: string): [number, number, number] {
  const c = document.createElement('canvas');
  c.width = c.height = 1;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, 1, 1);
  const d = ctx.getImageData(0, 0, 1, 1).data;
  return [d[0], d[1], d[2]];
}

export interface RendererOptions {
  /** Try WebGL first (default); '2d' forces the fallback. */
  prefer?: BackendName;
}

/** Draws frames of one timeline on a canvas sized to the timeline's canvas. */
export class PreviewRenderer {
  readonly backend: BackendName;
  private readonly impl: Backend;
  private readonly layer: HTMLCanvasElement;
  private readonly small: HTMLCanvasElement;
  private lines: ReturnType<typeof captionLines> = [];
  private framings: (SceneFraming | undefined)[] = [];

  constructor(canvas: HTMLCanvasElement, private readonly tl: Timeline, words: WordLike[] = [], opts: RendererOptions = {}) {
    canvas.width = tl.canvas.width;
    canvas.height = tl.canvas.height;
    let impl: Backend | undefined;
    if (opts.prefer !== '2d') {
      try {
        impl = new WebGLBackend(canvas);
      } catch {
        impl = undefined; // no WebGL here: the 2D fallback draws the same frame
      }
    }
    this.impl = impl ?? new Canvas2DBackend(canvas);
    this.backend = this.impl.name;
    this.layer = document.createElement('canvas');
    this.small = document.createElement('canvas');
    this.setWords(words);
  }

  /** Caption words (source times) as edited; drawn as the renderer would burn them in. */
  setWords(words: WordLike[]) {
    const c = this.tl.captions;
    this.lines = c ? captionLines(captionWords(words, c, timelineDuration(this.tl)), c.words_per_line) : [];
  }

  /** How the server frames each scene (by scene index): smart_crop paths, split regions. */
  setFramings(framings: (SceneFraming | undefined)[]) {
    this.framings = framings;
  }

  get durationMs(): number {
    return timelineDuration(this.tl);
  }

  /** Draws the frame at t (ms) with each scene's source already positioned at its time
   *  (sources: by scene index). */
  draw(t: number, sources: (index: number) => Source | undefined) {
    const { width: W, height: H, background } = this.tl.canvas;
    this.impl.begin(background);
    for (const at of scenesAt(this.tl, t)) {
      const src = sources(at.index);
      if (!src || !src.width || !src.height) continue;
      const f = this.framings[at.index];
      const crop = f?.cropPath ? cropAt(f.cropPath, at.sourceMs - at.scene.in_ms) : undefined;
      for (const d of layoutDraws(at.scene.layout, src.width, src.height, W, H, crop, f?.split)) this.layout(d, src, at.alpha, at.index);
    }
    this.overlayLayer(t);
    this.impl.image(this.layer, { x: 0, y: 0, w: W, h: H }, { x: 0, y: 0, w: W, h: H }, 1, 'overlays');
    this.impl.end();
  }

  private layout(d: LayoutDraw, src: Source, alpha: number, index: number) {
    const { width: W, height: H } = this.tl.canvas;
    if (d.kind === 'video') {
      this.impl.image(src.el as TexImageSource, d.src, d.dst, alpha, `scene${index}`);
      return;
    }
    const c = this.small;
    c.width = d.small.w;
    c.height = d.small.h;
    const ctx = c.getContext('2d', { willReadFrequently: true })!;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(src.el, d.src.x, d.src.y, d.src.w, d.src.h, 0, 0, c.width, c.height);
    const img = ctx.getImageData(0, 0, c.width, c.height);
    boxBlur(img.data, c.width, c.height, d.radius);
    ctx.putImageData(img, 0, 0);
    this.impl.image(c, { x: 0, y: 0, w: c.width, h: c.height }, { x: 0, y: 0, w: W, h: H }, alpha, `blur${index}`);
  }

  private overlayLayer(t: number) {
    const { width: W, height: H } = this.tl.canvas;
    const c = this.layer;
    if (c.width !== W || c.height !== H) {
      c.width = W;
      c.height = H;
    }
    const ctx = c.getContext('2d')!;
    ctx.clearRect(0, 0, W, H);
    drawOverlays(ctx, this.tl, overlaysAt(this.tl, t), t);
    const cap = this.tl.captions ? captionAt(this.lines, t) : undefined;
    if (cap && this.tl.captions) drawCaption(ctx, this.tl, this.tl.captions, cap);
  }

  dispose() {
    this.impl.dispose();
  }
}
