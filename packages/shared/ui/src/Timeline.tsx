// The review timeline: highlight spans laid out over the media's duration, a playhead, and
// boundary handles that can be dragged with the pointer or moved with the arrow keys.
// Keys on the timeline: ←/→ seek 1 s (Shift: 5 s), ↑/↓ select the previous/next span.
// Keys on a handle: ←/→ move that boundary 100 ms (Shift: 1 s).
import { useRef, type KeyboardEvent, type PointerEvent } from 'react';
import { formatMs } from './format';

export type Verdict = 'accept' | 'reject';

export interface ReviewSpan {
  key: string;
  start_ms: number;
  end_ms: number;
  detected_start_ms: number;
  detected_end_ms: number;
  score: number;
  label: string;
  reasons: string[];
  verdict?: Verdict;
}

export const MIN_SPAN_MS = 200;

/** Moves one boundary of a span, kept inside [0, duration] and at least MIN_SPAN_MS long. */
export function moveBoundary(span: ReviewSpan, edge: 'start' | 'end', ms: number, durationMs: number): ReviewSpan {
  const t = Math.round(ms);
  if (edge === 'start') return { ...span, start_ms: Math.max(0, Math.min(t, span.end_ms - MIN_SPAN_MS)) };
  return { ...span, end_ms: Math.min(durationMs, Math.max(t, span.start_ms + MIN_SPAN_MS)) };
}

interface Props {
  durationMs: number;
  spans: ReviewSpan[];
  selected: number;
  currentMs: number;
  onSeek: (ms: number) => void;
  onSelect: (index: number) => void;
  /** A boundary moved (while dragging too). */
  onChange: (index: number, span: ReviewSpan) => void;
  /** A drag or key move of a boundary ended. */
  onCommit: (index: number) => void;
}

export function Timeline({ durationMs, spans, selected, currentMs, onSeek, onSelect, onChange, onCommit }: Props) {
  const track = useRef<HTMLDivElement>(null);
  const pct = (ms: number) => `${(Math.max(0, Math.min(durationMs, ms)) / durationMs) * 100}%`;

  const msAt = (clientX: number) => {
    const r = track.current?.getBoundingClientRect();
    if (!r || r.width <= 0) return 0;
    return ((clientX - r.left) / r.width) * durationMs;
  };

  const onTrackKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return;
    const step = e.shiftKey ? 5000 : 1000;
    if (e.key === 'ArrowLeft') onSeek(Math.max(0, currentMs - step));
    else if (e.key === 'ArrowRight') onSeek(Math.min(durationMs, currentMs + step));
    else if (e.key === 'ArrowUp') onSelect(Math.max(0, selected - 1));
    else if (e.key === 'ArrowDown') onSelect(Math.min(spans.length - 1, selected + 1));
    else return;
    e.preventDefault();
  };

  const onTrackPointer = (e: PointerEvent<HTMLDivElement>) => {
    if (e.target !== e.currentTarget) return;
    onSeek(msAt(e.clientX));
  };

  const handle = (i: number, edge: 'start' | 'end') => {
    const s = spans[i];
    const value = edge === 'start' ? s.start_ms : s.end_ms;
    const onKey = (e: KeyboardEvent<HTMLButtonElement>) => {
      const step = e.shiftKey ? 1000 : 100;
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      e.preventDefault();
      e.stopPropagation();
      onChange(i, moveBoundary(s, edge, value + (e.key === 'ArrowLeft' ? -step : step), durationMs));
    };
    const onDown = (e: PointerEvent<HTMLButtonElement>) => {
      e.preventDefault();
      e.stopPropagation();
      e.currentTarget.setPointerCapture?.(e.pointerId);
      onSelect(i);
    };
    const onMove = (e: PointerEvent<HTMLButtonElement>) => {
      if (!e.currentTarget.hasPointerCapture?.(e.pointerId)) return;
      onChange(i, moveBoundary(spans[i], edge, msAt(e.clientX), durationMs));
    };
    const onUp = (e: PointerEvent<HTMLButtonElement>) => {
      if (!e.currentTarget.hasPointerCapture?.(e.pointerId)) return;
      e.currentTarget.releasePointerCapture(e.pointerId);
      onCommit(i);
    };
    return (
      <button
        type="button"
        className={`handle handle-${edge}`}
        role="slider"
        aria-label={`${edge === 'start' ? 'Start' : 'End'} of highlight ${i + 1}`}
        aria-valuemin={0}
        aria-valuemax={durationMs}
        aria-valuenow={value}
        aria-valuetext={formatMs(value)}
        style={{ left: edge === 'start' ? '0%' : '100%' }} /* inside the span's box */
        onKeyDown={onKey}
        onKeyUp={(e) => (e.key === 'ArrowLeft' || e.key === 'ArrowRight') && onCommit(i)}
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerCancel={onUp}
      />
    );
  };

  return (
    <div
      className="timeline"
      ref={track}
      tabIndex={0}
      role="group"
      aria-label="Timeline: arrows seek, up and down choose a highlight"
      onKeyDown={onTrackKey}
      onPointerDown={onTrackPointer}
      data-testid="timeline"
    >
      {spans.map((s, i) => (
        <div
          key={s.key}
          className={`span ${i === selected ? 'span-selected' : ''} ${s.verdict ? `span-${s.verdict}` : ''}`}
          style={{ left: pct(s.start_ms), width: `${(Math.max(0, Math.min(durationMs, s.end_ms) - Math.max(0, s.start_ms)) / durationMs) * 100}%` }}
          title={`${s.label} ${formatMs(s.start_ms)}–${formatMs(s.end_ms)} score ${s.score.toFixed(2)}`}
          data-testid={`span-${i}`}
          onPointerDown={(e) => {
            e.stopPropagation();
            onSelect(i);
            onSeek(s.start_ms);
          }}
        >
          {i === selected ? (
            <>
              {handle(i, 'start')}
              {handle(i, 'end')}
            </>
          ) : null}
        </div>
      ))}
      <div className="playhead" style={{ left: pct(currentMs) }} aria-hidden="true" />
    </div>
  );
}
