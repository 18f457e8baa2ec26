// The key prompt: shown when the server requires API keys (401 on /v1/whoami). The key is kept
// in session storage (this tab, until it closes), never in local storage.
import { useState, type FormEvent } from 'react';
import { ApiClient, ApiError, type Whoami } from '@clipforge/api-client';

export const KEY_STORAGE = 'clipforge.apiKey';

/** The key this tab signed in with, if any. */
export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
  } catch {
    return undefined;
  }
}

export function SignIn({ baseUrl, problem, onSignedIn }: {
  baseUrl: string;
  problem?: string;
  onSignedIn: (client: ApiClient, who: Whoami) => void;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(problem);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const client = new ApiClient({ baseUrl, apiKey: key.trim() });
    try {
      const who = await client.whoami();
      sessionStorage.setItem(KEY_STORAGE, key.trim());
      onSignedIn(client, who);
    } catch (err) {
      setError(ApiError.describe(err));
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>clipforge</h1>
      <form onSubmit={(e) => void submit(e)} aria-label="Sign in" data-testid="signin">
        <p>This server needs an API key. An admin makes one with <code>clipforge keys create</code>.</p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" spellCheck={false} value={key}
          placeholder="cfk_…" onChange={(e) => setKey(e.target.value)} required />
        {error ? <p className="error" role="alert">{error}</p> : null}
        <button type="submit" disabled={busy || !key.trim()}>Sign in</button>
      </form>
    </main>
  );
}
