// The clip gallery: every video a finished clip, render or autoclip job produced, playable in
// place and downloadable through its signed URL.
import { Empty } from '../components/common';
import { formatDate } from '../lib/format';
import { KIND_NAMES } from '../lib/jobs';
import { Link } from '../lib/router';
import { useJobs } from '../state/jobs';
import { ArtifactView, resultArtifacts } from './JobDetail';

export function GalleryScreen() {
  const { jobs } = useJobs();
  const clips = jobs
    .filter((j) => j.status === 'succeeded' && (j.kind === 'render' || j.kind === 'clip_processing' || j.kind === 'autoclip'))
    .flatMap((j) => resultArtifacts(j.result).filter((a) => a.kind === 'video').map((a) => ({ job: j, a })));
  return (
    <section aria-labelledby="gallery-title">
      <h1 id="gallery-title">Clips</h1>
      {!clips.length ? <Empty>No clips yet: review highlights and render one.</Empty> : null}
      <ul className="gallery">
        {clips.map(({ job, a }) => (
          <li key={a.uri} className="card" data-testid="clip-card" data-job-id={job.id}>
            <ArtifactView a={a} />
            <p className="muted">
              {KIND_NAMES[job.kind]} · <Link to={`/jobs/${encodeURIComponent(job.id)}`}>{job.id}</Link> · {formatDate(job.updated_at)}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
