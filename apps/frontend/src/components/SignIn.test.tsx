import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { act } from 'react';
import { App } from '../App';
import { ApiClient } from '@clipforge/api-client';
import { click, render, type Rendered, waitFor } from '@clipforge/ui/testing';
import { startTestServer, type TestServer } from '../test/server';
import { KEY_STORAGE } from './SignIn';

let srv: TestServer;
let view: Rendered | undefined;
beforeEach(async () => {
  srv = await startTestServer();
  sessionStorage.clear();
  window.history.pushState(null, '', '/jobs');
});
afterEach(async () => {
  view?.unmount();
  view = undefined;
  await srv.close();
});

function type(input: HTMLInputElement, text: string) {
  act(() => {
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    set.call(input, text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

describe('sign in', () => {
  it('asks for a key when the server requires one, keeps it for the tab and shows the tenant', async () => {
    srv.apiKey = 'cfk_good';
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(view!.container.querySelector('[data-testid="signin"]')).not.toBeNull());
    const input = view.container.querySelector<HTMLInputElement>('#api-key')!;
    type(input, 'cfk_bad');
    click(view.container.querySelector('button[type="submit"]'));
    await waitFor(() => expect(view!.container.querySelector('[role="alert"]')?.textContent).toContain('wrong API key'));
    expect(sessionStorage.getItem(KEY_STORAGE)).toBeNull();
    type(input, 'cfk_good');
    click(view.container.querySelector('button[type="submit"]'));
    await waitFor(() => expect(view!.container.querySelector('[data-testid="account"]')?.textContent).toContain('acme · editor'));
    expect(sessionStorage.getItem(KEY_STORAGE)).toBe('cfk_good');
    // every call after it carries the key, the event stream included
    await waitFor(() => expect(srv.requests.some((r) => r.url.startsWith('/v1/jobs'))).toBe(true));
    click([...view.container.querySelectorAll('button')].find((b) => b.textContent === 'Sign out') ?? null);
    await waitFor(() => expect(view!.container.querySelector('[data-testid="signin"]')).not.toBeNull());
    expect(sessionStorage.getItem(KEY_STORAGE)).toBeNull();
  });

  it('shows no account and no prompt when the server needs no key', async () => {
    view = render(<App client={new ApiClient({ baseUrl: srv.url })} />);
    await waitFor(() => expect(srv.requests.some((r) => r.url === '/v1/whoami')).toBe(true));
    expect(view.container.querySelector('[data-testid="signin"]')).toBeNull();
    expect(view.container.querySelector('[data-testid="account"]')).toBeNull();
  });

  it('sends the key as a header, and in the poster URL an <img> loads', () => {
    const c = new ApiClient({ baseUrl: 'http://h', apiKey: 'cfk_x' });
    expect(c.authHeaders()).toEqual({ Authorization: 'Bearer cfk_x' });
    expect(c.posterUrl('m 1')).toBe('http://h/v1/media/m%201/poster?access_token=cfk_x');
    expect(new ApiClient({ baseUrl: 'http://h' }).posterUrl('m')).toBe('http://h/v1/media/m/poster');
  });
});
