// The media library: GET /v1/media when the server lists media; otherwise the ids this browser
// uploaded (kept in localStorage), each fetched with GET /v1/media/{id}.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import type { Media } from '../generated/domain';
import { useApi } from './api';

const KNOWN_KEY = 'clipforge.mediaIds';

interface MediaValue {
  items: Media[];
  loading: boolean;
  error: string | undefined;
  add: (m: Media) => void;
  remove: (id: string) => Promise<void>;
  refresh: () => Promise<void>;
}

const MediaContext = createContext<MediaValue | undefined>(undefined);

function knownIds(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(KNOWN_KEY) ?? '[]');
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function saveIds(ids: string[]) {
  localStorage.setItem(KNOWN_KEY, JSON.stringify(ids.slice(0, 500)));
}

const NAMES_KEY = 'clipforge.mediaNames';

/** File names this browser uploaded, by media id (shown when the server keeps none). */
function names(): Record<string, string> {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(NAMES_KEY) ?? '{}');
    return v && typeof v === 'object' ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

export function rememberName(id: string, filename: string) {
  localStorage.setItem(NAMES_KEY, JSON.stringify({ ...names(), [id]: filename }));
}

function withName(m: Media): Media {
  const n = names()[m.id];
  return m.filename || !n ? m : { ...m, filename: n };
}

export function MediaProvider({ children }: { children: ReactNode }) {
  const { client } = useApi();
  const [items, setItems] = useState<Media[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();

  const refresh = useCallback(async () => {
    setLoading(true);
    try {
      const listed = await client.listMedia();
      if (listed) {
        setItems(listed.map(withName));
      } else {
        const ids = knownIds();
        const found = await Promise.all(
          ids.map((id) => client.getMedia(id).catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e)))),
        );
        const present = found.filter((m): m is Media => m !== null);
        saveIds(present.map((m) => m.id));
        setItems(present.map(withName));
      }
      setError(undefined);
    } catch (e) {
      setError(ApiError.describe(e));
    } finally {
      setLoading(false);
    }
  }, [client]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const add = useCallback((m: Media) => {
    saveIds([m.id, ...knownIds().filter((id) => id !== m.id)]);
    setItems((xs) => [withName(m), ...xs.filter((x) => x.id !== m.id)]);
  }, []);

  const remove = useCallback(
    async (id: string) => {
      await client.deleteMedia(id);
      saveIds(knownIds().filter((x) => x !== id));
      setItems((xs) => xs.filter((x) => x.id !== id));
    },
    [client],
  );

  const value = useMemo(() => ({ items, loading, error, add, remove, refresh }), [items, loading, error, add, remove, refresh]);
  return <MediaContext.Provider value={value}>{children}</MediaContext.Provider>;
}

export function useMedia(): MediaValue {
  const v = useContext(MediaContext);
  if (!v) throw new Error('useMedia outside MediaProvider');
  return v;
}
