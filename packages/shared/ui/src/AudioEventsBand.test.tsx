import { afterEach, describe, expect, it } from 'vitest';
import { render, type Rendered } from './testing';
import { AudioEventsBand, EVENT_COLOURS } from './AudioEventsBand';

let view: Rendered | undefined;
afterEach(() => view?.unmount());

describe('AudioEventsBand', () => {
  it('draws one block per event where it lies, coloured by class, and seeks on click', () => {
    const seeks: number[] = [];
    view = render(
      <AudioEventsBand durationMs={20000} onSeek={(ms) => seeks.push(ms)} events={[
        { start_ms: 0, end_ms: 5000, class: 'speech', confidence: 0.9 },
        { start_ms: 5000, end_ms: 11000, class: 'crowd', confidence: 0.8 },
        { start_ms: 11000, end_ms: 20000, class: 'speech', confidence: 0.7 },
      ]} />,
    );
    const blocks = [...view.container.querySelectorAll<HTMLElement>('.events-band-block')];
    expect(blocks.map((b) => b.dataset.class)).toEqual(['speech', 'crowd', 'speech']);
    expect(blocks[1].style.left).toBe('25%');
    expect(blocks[1].style.width).toBe('30%');
    expect(blocks[1].getAttribute('aria-label')).toContain('crowd');
    expect(blocks[1].style.background).not.toBe(blocks[0].style.background);
    const legend = [...view.container.querySelectorAll('.events-band-legend li')].map((li) => li.textContent);
    expect(legend).toEqual(['speech', 'crowd']);
    blocks[1].click();
    expect(seeks).toEqual([5000]);
    expect(Object.keys(EVENT_COLOURS)).toHaveLength(7);
  });
});
