// Feature flags (GET /v1/flags): the server says which UI features are on for the caller's
// tenant. Read once per client (a flag changed at run time shows at the next page load); a
// server without /v1/flags, or one that fails, leaves every feature at the UI's default.
import { useEffect, useState } from 'react';
import type { ApiClient, Flag } from '@clipforge/api-client';
import { useApi } from './api';

/** The audio-events band on the review screen. */
export const UI_AUDIO_EVENTS = 'ui.audio-events';

const loaded = new WeakMap<ApiClient, Promise<Flag[] | undefined>>();

/** The client's flags, asked for once; undefined when the server cannot say. */
export function flagsOf(client: ApiClient): Promise<Flag[] | undefined> {
  let p = loaded.get(client);
  if (!p) {
    p = client.listFlags().catch(() => undefined);
    loaded.set(client, p);
  }
  return p;
}

/** Whether a flag is on: the server's answer, fallback while it loads, when the server does not
 *  know the flag, or when its answer depends on a media. */
export function flagOn(flags: Flag[] | undefined, name: string, fallback: boolean): boolean {
  const f = flags?.find((x) => x.name === name);
  return f?.on ?? fallback;
}

/** Whether the UI feature behind flag name is on for the caller. */
export function useFlag(name: string, fallback: boolean): boolean {
  const { client } = useApi();
  const [flags, setFlags] = useState<Flag[] | undefined>();
  useEffect(() => {
    let live = true;
    void flagsOf(client).then((f) => live && setFlags(f));
    return () => {
      live = false;
    };
  }, [client]);
  return flagOn(flags, name, fallback);
}
