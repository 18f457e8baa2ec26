// What the UI reads out of media records: ids from URIs, and the duration, picture and aspect of
// a probe. (Times, sizes and dates are formatted by @clipforge/ui.)

/** "media://m_123" -> "m_123"; undefined for other URIs. */
export function mediaIdFromUri(uri: string | undefined): string | undefined {
  const m = uri ? /^media:\/\/([^/?#]+)$/.exec(uri) : null;
  return m ? m[1] : undefined;
}

/** Duration of a media file in ms from its probe JSON (the probe command's output). */
export function probeDurationMs(probe: Record<string, unknown> | undefined): number | undefined {
  const d = probe?.duration_ms;
  return typeof d === 'number' && d > 0 ? d : undefined;
}

interface ProbeStream {
  type?: unknown;
  display_width?: unknown;
  display_height?: unknown;
  width?: unknown;
  height?: unknown;
}

/** The first video stream of a probe, if any. */
function probeVideo(probe: Record<string, unknown> | undefined): ProbeStream | undefined {
  const streams = Array.isArray(probe?.streams) ? (probe.streams as ProbeStream[]) : [];
  return streams.find((s) => s && s.type === 'video');
}

/** Whether the probe found a video stream (true when the probe says nothing: assume video). */
export function probeHasVideo(probe: Record<string, unknown> | undefined): boolean {
  if (!probe || !Array.isArray(probe.streams)) return true;
  return probeVideo(probe) !== undefined;
}

/** Width / height of the upright picture, when the probe knows it. */
export function probeAspect(probe: Record<string, unknown> | undefined): number | undefined {
  const v = probeVideo(probe);
  const w = Number(v?.display_width ?? v?.width);
  const h = Number(v?.display_height ?? v?.height);
  return w > 0 && h > 0 ? w / h : undefined;
}
