// The render dialog's view of the server's rendering templates (GET /v1/templates): how its live
// preview imitates one (how the picture fills the frame, where the title and captions sit, the
// brand colour) and the RenderRequest it sends, checked against the generated schema.
import {
  RenderRequestSchema,
  type RenderFormat,
  type RenderRequestInput,
  type RenderTemplate,
  type SceneLayout,
} from '@clipforge/api-client';

export type Fit = 'blur' | 'crop' | 'contain' | 'cover' | 'split';

const FITS: Record<SceneLayout, Fit> = { fit: 'contain', fill: 'cover', blur_fill: 'blur', smart_crop: 'crop', split: 'split' };

/** The template's variable that the request member `field` sets, if it has one. */
export function variable(t: RenderTemplate, field: string) {
  return t.variables.find((v) => v.request_field === field);
}

export interface Preview {
  fit: Fit;
  titlePosition: string;
  captionPosition: string;
  accent: string;
  width: number;
  height: number;
}

/** How the preview shows template t in format f. */
export function previewOf(t: RenderTemplate, f: RenderFormat, brandColor?: string): Preview {
  const canvas = f === 'vertical' ? t.vertical : t.horizontal;
  return {
    fit: FITS[t.layout],
    titlePosition: t.title_position ?? 'top',
    captionPosition: t.captions_position ?? 'bottom',
    accent: brandColor ?? variable(t, 'brand_color')?.default_value ?? '#FFCC00',
    width: canvas.width,
    height: canvas.height,
  };
}

export interface RenderChoice {
  clipId: string;
  sourceUri: string;
  span: { start_ms: number; end_ms: number };
  template: RenderTemplate;
  format: RenderFormat;
  title: string;
  /** Sent only when it differs from the template's own brand colour. */
  brandColor?: string;
  /** Output size as a fraction of the template's canvas (1: the canvas itself, sent as is). */
  scale?: number;
}

/** The canvas of template t in format f scaled by k, in even pixels (what H.264 needs). */
export function outputSize(t: RenderTemplate, f: RenderFormat, k: number): { width: number; height: number } {
  const c = f === 'vertical' ? t.vertical : t.horizontal;
  const even = (v: number) => Math.max(16, 2 * Math.round((v * k) / 2));
  return { width: even(c.width), height: even(c.height) };
}

/** The RenderRequest for a choice: only the variables the template has, an empty title left out. */
export function buildRenderRequest(c: RenderChoice): RenderRequestInput {
  const r: RenderRequestInput = {
    clip_id: c.clipId,
    template_id: c.template.id,
    source_uri: c.sourceUri,
    start_ms: c.span.start_ms,
    end_ms: c.span.end_ms,
    format: c.format,
  };
  const title = c.title.trim();
  if (title && variable(c.template, 'title')) r.title = title;
  const brand = variable(c.template, 'brand_color');
  if (brand && c.brandColor && c.brandColor.toLowerCase() !== brand.default_value?.toLowerCase()) r.brand_color = c.brandColor;
  if (c.scale !== undefined && c.scale !== 1) Object.assign(r, outputSize(c.template, c.format, c.scale));
  return r;
}

/** Why the server would refuse r ("field: message"), or undefined when it is a valid RenderRequest. */
export function checkRenderRequest(r: RenderRequestInput): string | undefined {
  const p = RenderRequestSchema.safeParse(r);
  if (p.success) return undefined;
  const i = p.error.issues[0];
  return `${i.path.join('.') || 'request'}: ${i.message}`;
}
