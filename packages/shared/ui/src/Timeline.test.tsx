import { afterEach, describe, expect, it } from 'vitest';
import { act, useState } from 'react';
import { key, render, type Rendered } from './testing';
import { moveBoundary, Timeline, type ReviewSpan, MIN_SPAN_MS } from './Timeline';

const span = (start: number, end: number, key = `${start}`): ReviewSpan => ({
  key, start_ms: start, end_ms: end, detected_start_ms: start, detected_end_ms: end, score: 0.5, label: 'x', reasons: [],
});

describe('moveBoundary', () => {
  it('keeps the span inside the media and at least MIN_SPAN_MS long', () => {
    const s = span(1000, 2000);
    expect(moveBoundary(s, 'start', -50, 5000).start_ms).toBe(0);
    expect(moveBoundary(s, 'start', 1950, 5000).start_ms).toBe(2000 - MIN_SPAN_MS);
    expect(moveBoundary(s, 'end', 9000, 5000).end_ms).toBe(5000);
    expect(moveBoundary(s, 'end', 1000, 5000).end_ms).toBe(1000 + MIN_SPAN_MS);
    expect(moveBoundary(s, 'end', 2500.4, 5000).end_ms).toBe(2500);
  });
});

let view: Rendered | undefined;
afterEach(() => view?.unmount());

function Harness({ log }: { log: string[] }) {
  const [spans, setSpans] = useState([span(1000, 3000, 'a'), span(6000, 8000, 'b')]);
  const [sel, setSel] = useState(0);
  const [now, setNow] = useState(2000);
  return (
    <>
      <Timeline durationMs={10000} spans={spans} selected={sel} currentMs={now}
        onSeek={(ms) => { setNow(ms); log.push(`seek ${ms}`); }}
        onSelect={(i) => { setSel(i); log.push(`select ${i}`); }}
        onChange={(i, s) => setSpans((xs) => xs.map((x, k) => (k === i ? s : x)))}
        onCommit={(i) => log.push(`commit ${i} ${spans[i].start_ms}-${spans[i].end_ms}`)} />
      <output data-testid="state">{spans.map((s) => `${s.start_ms}-${s.end_ms}`).join(',')}</output>
    </>
  );
}

describe('Timeline', () => {
  it('lays spans out in proportion to the duration', () => {
    const log: string[] = [];
    view = render(<Harness log={log} />);
    const s0 = view.container.querySelector<HTMLElement>('[data-testid="span-0"]')!;
    expect(s0.style.left).toBe('10%');
    expect(s0.style.width).toBe('20%');
  });

  it('seeks with the arrows and picks spans with up and down', () => {
    const log: string[] = [];
    view = render(<Harness log={log} />);
    const tl = view.container.querySelector('[data-testid="timeline"]')!;
    key(tl, 'ArrowRight');
    key(tl, 'ArrowLeft', { shiftKey: true });
    key(tl, 'ArrowDown');
    expect(log).toEqual(['seek 3000', 'seek 0', 'select 1']);
  });

  it('moves a boundary with the arrows on its handle and commits on key up', () => {
    const log: string[] = [];
    view = render(<Harness log={log} />);
    const end = view.container.querySelector<HTMLElement>('[aria-label="End of highlight 1"]')!;
    key(end, 'ArrowRight');
    key(end, 'ArrowRight', { shiftKey: true });
    expect(view.container.querySelector('[data-testid="state"]')!.textContent).toBe('1000-4100,6000-8000');
    expect(end.getAttribute('aria-valuenow')).toBe('4100');
    // handles sit on the span's edges (they are inside the span's box)
    expect(end.style.left).toBe('100%');
    expect(view.container.querySelector<HTMLElement>('[aria-label="Start of highlight 1"]')!.style.left).toBe('0%');
    act(() => { end.dispatchEvent(new KeyboardEvent('keyup', { key: 'ArrowRight', bubbles: true })); });
    expect(log.at(-1)).toBe('commit 0 1000-4100');
    const start = view.container.querySelector<HTMLElement>('[aria-label="Start of highlight 1"]')!;
    for (let i = 0; i < 30; i++) key(start, 'ArrowRight', { shiftKey: true });
    expect(view.container.querySelector('[data-testid="state"]')!.textContent).toBe(`${4100 - MIN_SPAN_MS}-4100,6000-8000`);
  });
});
