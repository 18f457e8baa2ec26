// Formatting for people: times, sizes, dates, percentages (what the components show).

/** 83_450 -> "1:23.4"; 3_723_000 -> "1:02:03.0". */
export function formatMs(ms: number, decimals = 1): string {
  const neg = ms < 0;
  const t = Math.abs(ms) / 1000;
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  let s = (t % 60).toFixed(decimals);
  if (Number(s) >= 60) s = (0).toFixed(decimals); // rounding up to the next minute is rare; keep it sane
  const ss = s.padStart(decimals ? 3 + decimals : 2, '0');
  const body = h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
  return neg ? `-${body}` : body;
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** 0.4567 -> "46%". */
export function formatPercent(p: number): string {
  return `${Math.round(Math.max(0, Math.min(1, p)) * 100)}%`;
}
