// A parent job's detail lists its child jobs with their live status: those its detail named and
// those the event stream brings that name it as their parent; a child links back to its parent.
// A result's notes (the source streams it left out) are shown as a labelled note, and only then.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../App';
import { ApiClient } from '@clipforge/api-client';
import { render, type Rendered, waitFor } from '@clipforge/ui/testing';
import { startTestServer, type TestServer } from '../test/server';

let srv: TestServer;
let view: Rendered | undefined;

beforeEach(async () => {
  srv = await startTestServer();
  srv.kinds.push('autoclip', 'render');
  window.history.pushState(null, '', '/jobs/j_p');
});
afterEach(async () => {
  view?.unmount();
  view = undefined;
  await srv.close();
});

const child = (id: string) =>
  [...view!.container.querySelectorAll<HTMLElement>('[data-testid="job-child"]')].find((li) => li.textContent?.includes(id));

describe('Job detail', () => {
  it('lists a parent\'s children and follows them live', async () => {
    const now = new Date().toISOString();
    srv.jobs.set('j_p', { id: 'j_p', kind: 'autoclip', status: 'running', stage: 'render', progress: 0.5, attempts: 1,
      created_at: now, updated_at: now, request: { media_uri: 'media://m_1' },
      children: [{ id: 'j_c1', kind: 'render', status: 'succeeded', progress: 1, attempts: 1 }] });
    srv.jobs.set('j_c2', { id: 'j_c2', kind: 'render', status: 'running', progress: 0.2, attempts: 1, parent_id: 'j_p',
      created_at: now, updated_at: now, request: { source_uri: 'media://m_1' } });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(child('j_c1')?.dataset.status).toBe('succeeded'));
    await waitFor(() => expect(child('j_c2')?.dataset.status).toBe('running'));

    srv.emit({ type: 'JobFailed', job_id: 'j_c2', data: { status: 'failed', error: { type: 'processing-failed', title: 'Processing failed', status: 500, detail: 'encoder died' } } });
    await waitFor(() => expect(child('j_c2')?.dataset.status).toBe('failed'));
    expect(child('j_c2')!.textContent).toContain('encoder died');
    expect(child('j_c1')!.querySelector('a')!.getAttribute('href')).toBe('/jobs/j_c1');
  });

  it('links a child to its parent', async () => {
    const now = new Date().toISOString();
    srv.jobs.set('j_c', { id: 'j_c', kind: 'render', status: 'queued', progress: 0, attempts: 0, parent_id: 'j_p',
      created_at: now, updated_at: now, request: { source_uri: 'media://m_1' } });
    window.history.pushState(null, '', '/jobs/j_c');
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(view!.container.textContent).toContain('Part of job j_p'));
  });

  const LEFT_OUT = 'left out: audio stream 2 (opus, fre, "Commentary"); subtitle stream 3 (subrip); it carries audio stream 1 (choose another with audio_stream / --audio-stream)';
  const finished = (id: string, kind: 'clip_processing' | 'render' | 'autoclip', result: Record<string, unknown>) => {
    const now = new Date().toISOString();
    srv.jobs.set(id, { id, kind, status: 'succeeded', progress: 1, attempts: 1, created_at: now, updated_at: now,
      request: { source_uri: 'media://m_1' }, result });
    window.history.pushState(null, '', `/jobs/${id}`);
  };

  it('shows the notes of a result that has them', async () => {
    finished('j_n', 'clip_processing', { clip_id: 'c1', output_uri: 'storage://jobs/j_n/1/c1.mp4', processing_time_ms: 5,
      notes: [LEFT_OUT, 'audio stream 1 carries no packets: cut without audio'] });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(view!.container.querySelector('[data-testid="job-detail"]')).not.toBeNull());
    const notes = view.container.querySelector<HTMLElement>('[data-testid="job-notes"]')!;
    expect(notes).not.toBeNull();
    expect(notes.getAttribute('role')).toBe('note');
    const heading = notes.querySelector('h2')!;
    expect(heading.textContent).toBe('Notes');
    expect(notes.getAttribute('aria-labelledby')).toBe(heading.id);
    expect([...notes.querySelectorAll('li')].map((li) => li.textContent)).toEqual([LEFT_OUT, 'audio stream 1 carries no packets: cut without audio']);
  });

  it('shows an autoclip run\'s notes', async () => {
    finished('j_a', 'autoclip', { media_uri: 'media://m_1', media_duration_ms: 60_000, template_id: 'shorts-blur', format: 'vertical',
      profile: 'generic', captions: false, notes: [LEFT_OUT], clips: [] });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(view!.container.querySelector('[data-testid="job-notes"] li')?.textContent).toBe(LEFT_OUT));
  });

  it('shows no notes for a result without them', async () => {
    finished('j_r', 'render', { clip_id: 'c1', render_uri: 'storage://jobs/j_r/1/render.mp4', duration_ms: 9000, notes: [] });
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(view!.container.querySelector('[data-testid="job-detail"]')?.getAttribute('data-status')).toBe('succeeded'));
    expect(view.container.textContent).toContain('render.mp4'); // the result is shown, without notes
    expect(view.container.querySelector('[data-testid="job-notes"]')).toBeNull();
    expect(view.container.querySelector('[role="note"]')).toBeNull();
  });
});
