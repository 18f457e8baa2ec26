// @clipforge/ui: the design system of clipforge's web UI. Components take plain props (the API's
// types from @clipforge/api-client, callbacks), never a client, so any screen can use them;
// their styles are in ui.css (import '@clipforge/ui/ui.css' once).
export { Empty, FormatSelect, ProblemBox, ProgressBar, ReasonButton, StatusBadge } from './common';
export { ConfirmDialog, Modal } from './Modal';
export { MIN_SPAN_MS, moveBoundary, Timeline, type ReviewSpan, type Verdict } from './Timeline';
export { Waveform, type PeaksState } from './Waveform';
export { FilmstripTrack } from './FilmstripTrack';
export { MediaThumb, tileStyle } from './MediaThumb';
export { VideoCard } from './VideoCard';
export { AudioEventsBand, EVENT_COLOURS } from './AudioEventsBand';
export { formatBytes, formatDate, formatMs, formatPercent } from './format';
