import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import { App } from '../App';
import { ApiClient } from '@clipforge/api-client';
import { render, type Rendered, waitFor } from '@clipforge/ui/testing';
import { startTestServer, type TestServer } from '../test/server';
import { checkFile, MAX_UPLOAD_BYTES } from './Upload';

describe('checkFile', () => {
  it('accepts video and audio, by type or by extension', () => {
    expect(checkFile({ name: 'a.mp4', type: 'video/mp4', size: 10 })).toBeUndefined();
    expect(checkFile({ name: 'talk.MKV', type: '', size: 10 })).toBeUndefined();
    expect(checkFile({ name: 'song.flac', type: 'audio/flac', size: 10 })).toBeUndefined();
  });

  it('says why a file is refused', () => {
    expect(checkFile({ name: 'notes.pdf', type: 'application/pdf', size: 10 })).toBe('notes.pdf: not a video or audio file (application/pdf)');
    expect(checkFile({ name: 'empty.mp4', type: 'video/mp4', size: 0 })).toBe('empty.mp4: the file is empty');
    expect(checkFile({ name: 'huge.mp4', type: 'video/mp4', size: MAX_UPLOAD_BYTES + 1 })).toMatch(/^huge\.mp4: 10 GiB is over the 10 GiB limit$/);
    expect(checkFile({ name: 'big.mp4', type: 'video/mp4', size: 3000 }, 2048)).toBe('big.mp4: 2.9 KiB is over the 2.0 KiB limit');
  });
});

let srv: TestServer;
let view: Rendered | undefined;
beforeEach(async () => {
  srv = await startTestServer();
  window.history.pushState(null, '', '/upload');
});
afterEach(async () => {
  view?.unmount();
  view = undefined;
  await srv.close();
});

describe('Upload screen', () => {
  it('shows refused files and sends none of them', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    const zone = view.container.querySelector('[data-testid="dropzone"]')!;
    const files = [new File(['%PDF'], 'notes.pdf', { type: 'application/pdf' }), new File([], 'empty.mp4', { type: 'video/mp4' })];
    const drop = new Event('drop', { bubbles: true, cancelable: true }) as Event & { dataTransfer: unknown };
    drop.dataTransfer = { files };
    act(() => {
      zone.dispatchEvent(drop);
    });
    await waitFor(() => expect(view!.container.querySelectorAll('.problem').length).toBe(2));
    expect(view.container.textContent).toContain('notes.pdf: not a video or audio file');
    expect(view.container.textContent).toContain('empty.mp4: the file is empty');
    expect(srv.requests.filter((r) => r.url.startsWith('/v1/media'))).toEqual([]);
  });
});
