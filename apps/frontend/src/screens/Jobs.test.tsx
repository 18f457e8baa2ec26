// The job list follows the event stream: a job's status, stage and progress change on screen as
// events arrive, and a job created elsewhere appears.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App';
import { ApiClient } from '@clipforge/api-client';
import { render, type Rendered, waitFor } from '@clipforge/ui/testing';
import { startTestServer, type TestServer } from '../test/server';

let srv: TestServer;
let view: Rendered | undefined;

beforeEach(async () => {
  srv = await startTestServer();
  sessionStorage.clear();
  localStorage.clear();
  window.history.pushState(null, '', '/jobs');
});
afterEach(async () => {
  view?.unmount();
  view = undefined;
  await srv.close();
});

const row = (id: string) => view!.container.querySelector<HTMLElement>(`[data-job-id="${id}"]`);

describe('Jobs screen', () => {
  it('shows live status and progress from the event stream', async () => {
    const now = new Date().toISOString();
    srv.jobs.set('j_a', { id: 'j_a', kind: 'highlight_detection', status: 'queued', progress: 0, attempts: 0,
      created_at: now, updated_at: now, request: { clip_id: 'c', media_uri: 'media://m_1' } });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(row('j_a')?.dataset.status).toBe('queued'));
    await waitFor(() => expect(view!.container.querySelector('[data-testid="live-indicator"]')?.getAttribute('data-state')).toBe('open'));

    srv.emit({ type: 'JobProgressed', job_id: 'j_a', data: { status: 'running', stage: 'features', progress: 0.4 } });

    await waitFor(() => expect(row('j_a')?.dataset.status).toBe('running'));
    expect(row('j_a')!.querySelector('.job-stage')!.textContent).toBe('features');
    expect(row('j_a')!.querySelector('[role="progressbar"]')!.getAttribute('aria-valuenow')).toBe('40');

    // A job submitted by someone else: fetched when its first event arrives.
    srv.jobs.set('j_b', { id: 'j_b', kind: 'clip_processing', status: 'queued', progress: 0, attempts: 0,
      created_at: now, updated_at: now, request: { clip_id: 'c2', source_uri: 'media://m_1' } });
    srv.emit({ type: 'JobRequested', job_id: 'j_b', data: { status: 'queued' } });
    await waitFor(() => expect(row('j_b')).not.toBeNull());

    srv.jobs.set('j_a', { ...srv.jobs.get('j_a')!, status: 'succeeded', progress: 1, result: { clip_id: 'c', highlights: [], model_version: 'h1', engine: 'heuristic', inference_ms: 5 } });
    srv.emit({ type: 'JobCompleted', job_id: 'j_a', data: { status: 'succeeded', progress: 1 } });
    await waitFor(() => expect(row('j_a')?.dataset.status).toBe('succeeded'));
    expect(sessionStorage.getItem('clipforge.lastEventId')).toBe('3');
  });

  it('filters by status', async () => {
    const now = new Date().toISOString();
    for (const [id, status] of [['j_1', 'failed'], ['j_2', 'succeeded']] as const)
      srv.jobs.set(id, { id, kind: 'clip_processing', status, progress: 0, attempts: 1, created_at: now, updated_at: now, request: {} });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(row('j_2')).not.toBeNull());
    const select = view.container.querySelector<HTMLSelectElement>('select')!;
    const { act } = await import('react');
    act(() => {
      select.value = 'failed';
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    expect(row('j_1')).not.toBeNull();
    expect(row('j_2')).toBeNull();
  });
});
