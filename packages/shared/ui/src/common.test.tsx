// The small controls: what they show and how assistive technology reads them.
import { afterEach, describe, expect, it } from 'vitest';
import { FormatSelect, ProblemBox, ProgressBar, ReasonButton, StatusBadge } from './common';
import { render, selectValue, type Rendered } from './testing';

let view: Rendered | undefined;
afterEach(() => view?.unmount());

describe('controls', () => {
  it('shows a job state as a badge named by the state', () => {
    view = render(<StatusBadge status="running" />);
    const badge = view.container.querySelector('.badge')!;
    expect(badge.textContent).toBe('running');
    expect(badge.className).toContain('badge-running');
  });

  it('reports progress as a percentage, and an unknown one without a value', () => {
    view = render(<><ProgressBar value={0.456} label="Render" /><ProgressBar value={undefined} label="Queue" /></>);
    const [known, unknown] = view.container.querySelectorAll('[role="progressbar"]');
    expect(known.getAttribute('aria-valuenow')).toBe('46');
    expect(known.getAttribute('aria-label')).toBe('Render');
    expect(unknown.hasAttribute('aria-valuenow')).toBe(false);
    expect(unknown.className).toContain('progress-unknown');
  });

  it('says beside a disabled button why it is disabled, and nothing when enabled', () => {
    view = render(<><ReasonButton disabled reason="no audio">Transcribe</ReasonButton><ReasonButton reason="unused">Detect</ReasonButton></>);
    const [off, on] = view.container.querySelectorAll('button');
    const why = view.container.querySelector('.reason')!;
    expect(off.disabled).toBe(true);
    expect(why.textContent).toBe('no audio');
    expect(off.getAttribute('aria-describedby')).toBe(why.id);
    expect(on.disabled).toBe(false);
    expect(on.hasAttribute('aria-describedby')).toBe(false);
    expect(view.container.querySelectorAll('.reason')).toHaveLength(1);
  });

  it('shows a problem with its field errors, or a plain message', () => {
    view = render(<ProblemBox problem={{
      type: 'https://clipforge.dev/problems/validation', title: 'Invalid request', status: 422,
      detail: 'two fields', errors: [{ field: 'end_ms', message: 'must be > start_ms' }, { field: 'kind', message: 'unknown' }],
    }} />);
    const box = view.container.querySelector('[role="alert"]')!;
    expect(box.querySelector('strong')!.textContent).toBe('Invalid request');
    expect([...box.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['end_ms: must be > start_ms', 'kind: unknown']);
    view.unmount();
    view = render(<ProblemBox problem="the server is gone" title="Upload" />);
    expect(view.container.textContent).toBe('Upload: the server is gone');
  });

  it('picks an output format', () => {
    const picked: string[] = [];
    view = render(<FormatSelect value="vertical" onChange={(f) => picked.push(f)} testId="fmt" />);
    selectValue(view.container.querySelector('[data-testid="fmt"]') as HTMLSelectElement, 'horizontal');
    expect(picked).toEqual(['horizontal']);
  });
});
