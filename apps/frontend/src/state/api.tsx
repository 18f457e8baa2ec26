// The API client and what the server can do, shared by every screen.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { ApiClient, type JobKind } from '@clipforge/api-client';

interface ApiValue {
  client: ApiClient;
  /** Job kinds the server runs; undefined while loading. */
  kinds: JobKind[] | undefined;
}

const ApiContext = createContext<ApiValue | undefined>(undefined);

export function ApiProvider({ client, children }: { client: ApiClient; children: ReactNode }) {
  const [kinds, setKinds] = useState<JobKind[] | undefined>(undefined);
  useEffect(() => {
    let live = true;
    client.jobKinds().then(
      (k) => live && setKinds(k),
      () => live && setKinds([]),
    );
    return () => {
      live = false;
    };
  }, [client]);
  return <ApiContext.Provider value={{ client, kinds }}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiValue {
  const v = useContext(ApiContext);
  if (!v) throw new Error('useApi outside ApiProvider');
  return v;
}

/** Whether the server runs a job kind: true, false, or undefined while unknown. */
export function useKindAvailable(kind: JobKind): boolean | undefined {
  const { kinds } = useApi();
  return kinds === undefined ? undefined : kinds.includes(kind);
}
