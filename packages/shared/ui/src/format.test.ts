import { describe, expect, it } from 'vitest';
import { formatBytes, formatMs, formatPercent } from './format';

describe('format', () => {
  it('formats times, sizes and percentages', () => {
    expect(formatMs(83_450)).toBe('1:23.5');
    expect(formatMs(3_723_000, 0)).toBe('1:02:03');
    expect(formatMs(0)).toBe('0:00.0');
    expect(formatMs(-1500)).toBe('-0:01.5');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10 GiB');
    expect(formatPercent(0.4567)).toBe('46%');
    expect(formatPercent(1.5)).toBe('100%');
  });
});
