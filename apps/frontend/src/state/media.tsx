// The media library: GET /v1/media, newest first, a page at a time (loadMore follows the
// server's next_cursor). Uploads and deletions made here update the list without a reload.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, type Media } from '@clipforge/api-client';
import { useApi } from './api';

export const PAGE_SIZE = 24;

interface MediaValue {
  items: Media[];
  loading: boolean;
  error: string | undefined;
  /** True when the server said more media may follow the last page. */
  more: boolean;
  add: (m: Media) => void;
  remove: (id: string) => Promise<void>;
  refresh: () => Promise<void>;
  loadMore: () => Promise<void>;
}

const MediaContext = createContext<MediaValue | undefined>(undefined);

/** xs followed by the members of ys it does not have yet (pages can overlap after uploads). */
function merge(xs: Media[], ys: Media[]): Media[] {
  const have = new Set(xs.map((m) => m.id));
  return [...xs, ...ys.filter((m) => !have.has(m.id))];
}

export function MediaProvider({ children }: { children: ReactNode }) {
  const { client } = useApi();
  const [items, setItems] = useState<Media[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();

  const load = useCallback(
    async (from: string | undefined) => {
      setLoading(true);
      try {
        const page = await client.listMedia({ cursor: from, limit: PAGE_SIZE });
        setItems((xs) => (from ? merge(xs, page.items) : page.items));
        setCursor(page.next_cursor);
        setError(undefined);
      } catch (e) {
        setError(ApiError.describe(e));
      } finally {
        setLoading(false);
      }
    },
    [client],
  );

  const refresh = useCallback(() => load(undefined), [load]);
  const loadMore = useCallback(() => (cursor ? load(cursor) : Promise.resolve()), [load, cursor]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const add = useCallback((m: Media) => setItems((xs) => merge([m], xs)), []);

  const remove = useCallback(
    async (id: string) => {
      await client.deleteMedia(id);
      setItems((xs) => xs.filter((x) => x.id !== id));
    },
    [client],
  );

  const value = useMemo(
    () => ({ items, loading, error, more: cursor !== undefined, add, remove, refresh, loadMore }),
    [items, loading, error, cursor, add, remove, refresh, loadMore],
  );
  return <MediaContext.Provider value={value}>{children}</MediaContext.Provider>;
}

export function useMedia(): MediaValue {
  const v = useContext(MediaContext);
  if (!v) throw new Error('useMedia outside MediaProvider');
  return v;
}
