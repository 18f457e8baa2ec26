// Upload: drop files (or pick them), each checked for type and size before it is sent, then
// streamed to POST /v1/media with a progress bar. Server refusals (413, 415...) are shown as sent.
import { useRef, useState, type DragEvent } from 'react';
import { ApiError, type Media } from '@clipforge/api-client';
import { formatBytes, ProblemBox, ProgressBar } from '@clipforge/ui';
import { Link } from '../lib/router';
import { useApi } from '../state/api';
import { useMedia } from '../state/media';

/** The server's default CLIPFORGE_MAX_UPLOAD_BYTES; a lower server limit answers 413, shown as sent. */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024 * 1024;
const EXTENSIONS = ['mp4', 'm4v', 'mov', 'mkv', 'webm', 'avi', 'ts', 'mts', 'flv', 'mpg', 'mpeg',
  'mp3', 'm4a', 'aac', 'wav', 'flac', 'ogg', 'opus'];

/** Why a file cannot be uploaded, or undefined when it can. */
export function checkFile(file: { name: string; type: string; size: number }, maxBytes = MAX_UPLOAD_BYTES): string | undefined {
  const ext = file.name.includes('.') ? file.name.split('.').pop()!.toLowerCase() : '';
  const typeOk = file.type.startsWith('video/') || file.type.startsWith('audio/') || EXTENSIONS.includes(ext);
  if (!typeOk) return `${file.name}: not a video or audio file (${file.type || ext || 'unknown type'})`;
  if (file.size === 0) return `${file.name}: the file is empty`;
  if (file.size > maxBytes) return `${file.name}: ${formatBytes(file.size)} is over the ${formatBytes(maxBytes)} limit`;
  return undefined;
}

interface Item {
  key: string;
  name: string;
  size: number;
  sent: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed';
  error?: string;
  media?: Media;
}

export function UploadScreen() {
  const { client } = useApi();
  const media = useMedia();
  const [items, setItems] = useState<Item[]>([]);
  const [rejected, setRejected] = useState<string[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const update = (key: string, patch: Partial<Item>) =>
    setItems((xs) => xs.map((x) => (x.key === key ? { ...x, ...patch } : x)));

  const start = async (files: File[]) => {
    const bad: string[] = [];
    const good: { file: File; item: Item }[] = [];
    for (const f of files) {
      const why = checkFile(f);
      if (why) bad.push(why);
      else good.push({ file: f, item: { key: `${f.name}-${f.size}-${Date.now()}-${Math.random()}`, name: f.name, size: f.size, sent: 0, state: 'waiting' } });
    }
    setRejected(bad);
    setItems((xs) => [...good.map((g) => g.item), ...xs]);
    for (const { file, item } of good) {
      update(item.key, { state: 'uploading' });
      try {
        const m = await client.uploadMedia(file, file.name, {
          onProgress: (sent) => update(item.key, { sent }),
        });
        media.add(m);
        update(item.key, { state: 'done', sent: item.size, media: m });
      } catch (e) {
        update(item.key, { state: 'failed', error: ApiError.describe(e) });
      }
    }
  };

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    void start([...e.dataTransfer.files]);
  };

  return (
    <section aria-labelledby="upload-title">
      <h1 id="upload-title">Upload</h1>
      <div
        className={`dropzone ${over ? 'dropzone-over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <p>Drop video or audio files here</p>
        <p className="muted">up to {formatBytes(MAX_UPLOAD_BYTES)} each · mp4, mov, mkv, webm, mp3, wav…</p>
        <button type="button" onClick={() => input.current?.click()}>Choose files…</button>
        <input
          ref={input}
          type="file"
          multiple
          accept="video/*,audio/*"
          hidden
          data-testid="file-input"
          onChange={(e) => {
            void start([...(e.target.files ?? [])]);
            e.target.value = '';
          }}
        />
      </div>
      {rejected.map((r) => (
        <ProblemBox key={r} problem={r} title="Not uploaded" />
      ))}
      <ul className="uploads">
        {items.map((it) => (
          <li key={it.key} className={`upload upload-${it.state}`} data-testid="upload-item">
            <div className="row">
              <strong className="grow">{it.name}</strong>
              <span className="muted">{formatBytes(it.size)}</span>
            </div>
            {it.state === 'uploading' || it.state === 'waiting' ? (
              <ProgressBar value={it.size ? it.sent / it.size : undefined} label={`Uploading ${it.name}`} />
            ) : null}
            {it.state === 'failed' ? <ProblemBox problem={it.error ?? 'failed'} title="Upload failed" /> : null}
            {it.state === 'done' && it.media ? (
              <p>
                Uploaded as <code>{it.media.id}</code> · <Link to="/">open the library</Link>
              </p>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
