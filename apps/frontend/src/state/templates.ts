// The server's rendering templates (GET /v1/templates), for the dialogs that pick one.
import { useEffect, useState } from 'react';
import { ApiError, type RenderTemplate } from '@clipforge/api-client';
import { useApi } from './api';

/** The server's templates; undefined while loading. */
export function useTemplates(): { templates: RenderTemplate[] | undefined; error: string | undefined } {
  const { client } = useApi();
  const [templates, setTemplates] = useState<RenderTemplate[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    client.listTemplates().then(
      (t) => live && setTemplates(t),
      (e: unknown) => {
        if (!live) return;
        setTemplates([]);
        setError(ApiError.describe(e));
      },
    );
    return () => {
      live = false;
    };
  }, [client]);
  return { templates, error };
}

