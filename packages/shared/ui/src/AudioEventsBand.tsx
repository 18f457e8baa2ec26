// A coloured band under the waveform: what the audio-event classifier heard over the media
// (speech, music, crowd, applause, laughter, silence, noise), one block per merged event, with a
// legend of the classes present. Clicking a block seeks to its start.
import type { AudioEvent, AudioEventClass } from '@clipforge/api-client';
import { formatMs } from './format';

export const EVENT_COLOURS: Record<AudioEventClass, string> = {
  speech: '#4c8bf5',
  music: '#9b5de5',
  crowd: '#f15bb5',
  applause: '#fee440',
  laughter: '#00f5d4',
  silence: '#3a3f4b',
  noise: '#8d99ae',
};

interface Props {
  events: AudioEvent[];
  durationMs: number;
  onSeek?: (ms: number) => void;
}

export function AudioEventsBand({ events, durationMs, onSeek }: Props) {
  const end = durationMs > 0 ? durationMs : Math.max(1, ...events.map((e) => e.end_ms));
  const present = (Object.keys(EVENT_COLOURS) as AudioEventClass[]).filter((c) => events.some((e) => e.class === c));
  return (
    <div className="events-band" data-testid="audio-events">
      <div className="events-band-track" role="list" aria-label="Audio events">
        {events.map((e) => (
          <button
            type="button"
            role="listitem"
            key={`${e.start_ms}-${e.class}`}
            className="events-band-block"
            data-class={e.class}
            title={`${e.class} ${formatMs(e.start_ms)}–${formatMs(e.end_ms)} (${Math.round(e.confidence * 100)} %)`}
            aria-label={`${e.class} from ${formatMs(e.start_ms)} to ${formatMs(e.end_ms)}`}
            style={{
              left: `${(100 * e.start_ms) / end}%`,
              width: `${(100 * (e.end_ms - e.start_ms)) / end}%`,
              background: EVENT_COLOURS[e.class],
              opacity: 0.45 + 0.55 * e.confidence,
            }}
            tabIndex={-1}
            onClick={() => onSeek?.(e.start_ms)}
          />
        ))}
      </div>
      <ul className="events-band-legend" aria-label="Audio event classes">
        {present.map((c) => (
          <li key={c}><span className="events-band-swatch" style={{ background: EVENT_COLOURS[c] }} />{c}</li>
        ))}
      </ul>
    </div>
  );
}
