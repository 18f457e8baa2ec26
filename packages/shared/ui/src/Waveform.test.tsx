// The waveform canvas: the server's peaks as bars, the score curve as a line, the playhead; and
// what it says while the peaks load or when there are none.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, type Rendered } from './testing';
import { Waveform } from './Waveform';

let view: Rendered | undefined;
afterEach(() => view?.unmount());

/** A 2D context that records the calls the drawing makes. */
function recordingContext() {
  const calls: string[] = [];
  const record = (name: string) => (...args: unknown[]) => void calls.push(`${name}(${args.join(',')})`);
  const ctx = new Proxy({} as Record<string, unknown>, {
    get: (target, prop: string) => (prop in target ? target[prop] : record(prop)),
    set: (target, prop: string, value) => {
      target[prop] = value;
      return true;
    },
  });
  return { ctx, calls };
}

describe('Waveform', () => {
  it('draws a bar per peak, the score curve and the playhead', () => {
    const { ctx, calls } = recordingContext();
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(ctx as unknown as CanvasRenderingContext2D);
    view = render(<Waveform peaks={{ state: 'ready', peaks: new Float32Array([0.5, 1, 0.25, 0]) }}
      scores={new Float32Array([0, 0.5, 1])} source="detector" progress={0.5} height={100} />);
    const bars = calls.filter((c) => c.startsWith('fillRect('));
    expect(bars).toHaveLength(4 + 1); // the peaks, then the playhead
    expect(bars[1]).toBe('fillRect(150,4,149.5,92)'); // 600 px wide (jsdom has no layout), peak 1 fills the height
    expect(bars[4]).toBe('fillRect(299,0,2,100)');
    expect(calls.filter((c) => c.startsWith('lineTo('))).toHaveLength(2);
    expect(view.container.querySelector('canvas')!.getAttribute('aria-label')).toBe("Waveform and the detector's score curve");
  });

  it('says when the waveform is loading or cannot be had', () => {
    view = render(<Waveform peaks={{ state: 'loading' }} scores={new Float32Array()} source="spans" progress={0} />);
    expect(view.container.querySelector('[role="status"]')!.textContent).toBe('loading the waveform…');
    view.unmount();
    view = render(<Waveform peaks={{ state: 'none', why: 'no audio stream' }} scores={new Float32Array()} source="spans" progress={0} />);
    expect(view.container.querySelector('[role="status"]')!.textContent).toBe('no waveform: no audio stream');
    expect(view.container.querySelector('canvas')!.getAttribute('aria-label')).toBe('Waveform and scores of the highlights');
  });
});
