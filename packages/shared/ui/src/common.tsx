// Small shared pieces: progress bar, status badge, problem display, buttons with a reason.
import { useId, type ReactNode } from 'react';
import type { JobState, Problem, RenderFormat } from '@clipforge/api-client';
import { formatPercent } from './format';

export function ProgressBar({ value, label }: { value: number | undefined; label: string }) {
  const known = value !== undefined;
  return (
    <div
      className={`progress ${known ? '' : 'progress-unknown'}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={known ? Math.round(value * 100) : undefined}
    >
      <div className="progress-fill" style={{ width: known ? formatPercent(value) : '30%' }} />
    </div>
  );
}

export function StatusBadge({ status }: { status: JobState }) {
  return <span className={`badge badge-${status}`} data-status={status}>{status}</span>;
}

export function ProblemBox({ problem, title = 'Error' }: { problem: Problem | string; title?: string }) {
  if (typeof problem === 'string') {
    return (
      <div className="problem" role="alert">
        <strong>{title}:</strong> {problem}
      </div>
    );
  }
  return (
    <div className="problem" role="alert">
      <strong>{problem.title}</strong>
      {problem.detail ? <p>{problem.detail}</p> : null}
      {problem.errors?.length ? (
        <ul>
          {problem.errors.map((e) => (
            <li key={e.field}>
              <code>{e.field}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A button that, when disabled, says why right beside it (not only in a tooltip). */
export function ReasonButton({ disabled, reason, children, ...rest }:
  { disabled?: boolean; reason?: string; children: ReactNode } & React.ButtonHTMLAttributes<HTMLButtonElement>) {
  const id = useId();
  const why = disabled && reason;
  return (
    <span className="reason-button">
      <button type="button" disabled={disabled} aria-describedby={why ? id : undefined} {...rest}>
        {children}
      </button>
      {why ? <small className="reason" id={id}>{reason}</small> : null}
    </span>
  );
}

/** The output format of a short: vertical 9:16 or horizontal 16:9, labelled. */
export function FormatSelect({ value, onChange, testId }: { value: RenderFormat; onChange: (f: RenderFormat) => void; testId?: string }) {
  return (
    <label>Format
      <select value={value} onChange={(e) => onChange(e.target.value as RenderFormat)} data-testid={testId}>
        <option value="vertical">vertical 9:16</option>
        <option value="horizontal">horizontal 16:9</option>
      </select>
    </label>
  );
}
