// The time-left estimate: nothing until the pace is known, then the rest at that pace.
import { describe, expect, it } from 'vitest';
import { formatRemaining, remainingMs } from './eta';

describe('remainingMs', () => {
  it('waits for a few seconds and a few percent', () => {
    expect(remainingMs({ at: 0, progress: 0.1 }, { at: 2000, progress: 0.5 })).toBeUndefined();
    expect(remainingMs({ at: 0, progress: 0.1 }, { at: 9000, progress: 0.11 })).toBeUndefined();
    expect(remainingMs({ at: 0, progress: 0.1 }, { at: 9000, progress: 1 })).toBeUndefined();
  });
  it('extrapolates the pace since the first sample', () => {
    // 20 % in 10 s: the 60 % left takes 30 s
    expect(remainingMs({ at: 1000, progress: 0.2 }, { at: 11_000, progress: 0.4 })).toBeCloseTo(30_000);
  });
  it('says it as a person would', () => {
    expect(formatRemaining(4000)).toBe('a few seconds left');
    expect(formatRemaining(42_000)).toBe('about 40 s left');
    expect(formatRemaining(95_000)).toBe('about 2 min left');
    expect(formatRemaining(3_900_000)).toBe('about 1 h 5 min left');
  });
});
