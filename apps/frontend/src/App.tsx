// The application shell: navigation, the live-connection indicator, and the screens by route.
import { useEffect, useState } from 'react';
import { ApiClient, ApiError, type Whoami } from '@clipforge/api-client';
import { ProblemBox } from '@clipforge/ui';
import { KEY_STORAGE, SignIn, storedKey } from './components/SignIn';
import { Link, matchPath, RouterProvider, useRouter } from './lib/router';
import { ApiProvider } from './state/api';
import { JobsProvider, useJobs } from './state/jobs';
import { MediaProvider } from './state/media';
import { ClipEditorScreen } from './screens/ClipEditor';
import { GalleryScreen } from './screens/Gallery';
import { JobDetailScreen } from './screens/JobDetail';
import { JobsScreen } from './screens/Jobs';
import { LibraryScreen } from './screens/Library';
import { ReviewScreen } from './screens/Review';
import { UploadScreen } from './screens/Upload';

const NAV = [
  { to: '/', label: 'Library', match: (p: string) => p === '/' },
  { to: '/upload', label: 'Upload', match: (p: string) => p.startsWith('/upload') },
  { to: '/jobs', label: 'Jobs', match: (p: string) => p.startsWith('/jobs') || p.startsWith('/review') },
  { to: '/clips', label: 'Clips', match: (p: string) => p.startsWith('/clips') || p.startsWith('/edit') },
];

function LiveIndicator() {
  const { stream, streamDetail } = useJobs();
  const text = stream === 'open' ? 'live' : stream === 'reconnecting' ? 'reconnecting…' : stream === 'connecting' ? 'connecting…' : 'offline';
  return (
    <span className={`live live-${stream}`} role="status" title={streamDetail} data-testid="live-indicator" data-state={stream}>
      ● {text}
    </span>
  );
}

function Screen() {
  const { path } = useRouter();
  let m: Record<string, string> | undefined;
  if (path === '/' || path === '/media') return <LibraryScreen />;
  if (path === '/upload') return <UploadScreen />;
  if (path === '/jobs') return <JobsScreen />;
  if ((m = matchPath('/jobs/:id', path))) return <JobDetailScreen key={m.id} id={m.id} />;
  if ((m = matchPath('/review/:jobId', path))) return <ReviewScreen key={m.jobId} jobId={m.jobId} />;
  if (path === '/clips') return <GalleryScreen />;
  if ((m = matchPath('/edit/:jobId', path))) return <ClipEditorScreen key={m.jobId} jobId={m.jobId} />;
  return <ProblemBox problem={`There is no page at ${path}.`} title="Not found" />;
}

function Account({ who, onSignOut }: { who: Whoami; onSignOut: () => void }) {
  if (!who.auth) return null;
  return (
    <span className="account" data-testid="account">
      <span title={`key ${who.key_id ?? ''}`}>{who.tenant} · {who.role}</span>
      <button type="button" className="link" onClick={onSignOut}>Sign out</button>
    </span>
  );
}

function Shell({ who, onSignOut }: { who: Whoami; onSignOut: () => void }) {
  const { path } = useRouter();
  return (
    <>
      <header className="topbar">
        <Link to="/" className="brand">clipforge</Link>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.to} to={n.to} aria-current={n.match(path) ? 'page' : undefined}>{n.label}</Link>
          ))}
        </nav>
        <LiveIndicator />
        <Account who={who} onSignOut={onSignOut} />
      </header>
      <main>
        <Screen />
      </main>
    </>
  );
}

/** Who the caller is: asked once; only a 401 (keys required, none or a bad one) asks for a key.
 *  Any other failure (an older server without /v1/whoami, the network) goes on without keys. */
type Session = { state: 'checking' } | { state: 'signin'; problem?: string } | { state: 'in'; client: ApiClient; who: Whoami };

const OPEN: Whoami = { tenant: 'default', role: 'admin', auth: false };

export function App({ client }: { client?: ApiClient }) {
  // A given client (tests, embedding) is used at once; who it is follows when the server says.
  const [session, setSession] = useState<Session>(client ? { state: 'in', client, who: OPEN } : { state: 'checking' });
  useEffect(() => {
    let live = true;
    const key = client ? undefined : storedKey();
    const api = client ?? new ApiClient({ apiKey: key });
    api.whoami().then(
      (who) => live && setSession({ state: 'in', client: api, who }),
      (e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && e.status === 401) {
          if (key) sessionStorage.removeItem(KEY_STORAGE);
          setSession({ state: 'signin', problem: key ? ApiError.describe(e) : undefined });
        } else {
          setSession({ state: 'in', client: api, who: OPEN });
        }
      },
    );
    return () => {
      live = false;
    };
  }, [client]);
  if (session.state === 'checking') return <main className="signin" aria-busy="true" />;
  if (session.state === 'signin')
    return <SignIn baseUrl={client?.baseUrl ?? ''} problem={session.problem}
      onSignedIn={(c, who) => setSession({ state: 'in', client: c, who })} />;
  const signOut = () => {
    sessionStorage.removeItem(KEY_STORAGE);
    setSession({ state: 'signin' });
  };
  return (
    <RouterProvider>
      <ApiProvider client={session.client}>
        <JobsProvider>
          <MediaProvider>
            <Shell who={session.who} onSignOut={signOut} />
          </MediaProvider>
        </JobsProvider>
      </ApiProvider>
    </RouterProvider>
  );
}
