// The application shell: navigation, the live-connection indicator, and the screens by route.
import { useMemo } from 'react';
import { ApiClient } from './api/client';
import { ProblemBox } from './components/common';
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

function Shell() {
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
      </header>
      <main>
        <Screen />
      </main>
    </>
  );
}

export function App({ client }: { client?: ApiClient }) {
  const api = useMemo(() => client ?? new ApiClient(), [client]);
  return (
    <RouterProvider>
      <ApiProvider client={api}>
        <JobsProvider>
          <MediaProvider>
            <Shell />
          </MediaProvider>
        </JobsProvider>
      </ApiProvider>
    </RouterProvider>
  );
}
