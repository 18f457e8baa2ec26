#!/usr/bin/env node
// End-to-end test of the web UI: starts a real `clipforge serve` on a loopback port with a
// temporary data directory, drives Debian's Chromium with playwright-core through the product's
// flow, and asserts real state (job statuses from the API, labels stored, a rendered file that
// plays). Does as much of the flow as the server runs: each job kind is used only when the server
// declares it runnable. Screenshots of every screen go to --artifacts.
// Usage: node e2e/run.mjs --clipforge PATH [--chromium PATH] [--artifacts DIR] [--keep]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
    return acc;
  }, []),
);
const clipforge = resolve(args.clipforge ?? 'clipforge');
const chromiumPath = args.chromium ?? '/usr/bin/chromium';
const artifacts = resolve(args.artifacts ?? join(here, '..', 'e2e-artifacts'));
const webDir = resolve(args.web ?? join(here, '..', 'dist'));
const started = Date.now();

let step = 0;
function log(msg) {
  console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}
function check(cond, msg) {
  if (!cond) throw new Error(`check failed: ${msg}`);
  log(`ok: ${msg}`);
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Exit code ctest reports as "skipped" (SKIP_RETURN_CODE). */
const SKIPPED = 77;
class Skip extends Error {}
function skip(why) {
  throw new Skip(why);
}

async function waitHttp(url, ms, gone = () => undefined) {
  const end = Date.now() + ms;
  for (;;) {
    if (gone()) throw new Error(`server ${gone()}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A 12 s 320x240 test video whose audio is quiet with two loud bursts (highlight candidates). */
function makeVideo(path) {
  const vol = "if(between(t,3,5)+between(t,8,9.5),0.9,0.05)";
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=12',
    '-f', 'lavfi', '-i', `aevalsrc='${vol}*sin(2*PI*440*t)+${vol}*0.5*sin(2*PI*1250*t)':s=44100:d=12`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '25',
    '-c:a', 'aac', '-b:a', '64k', '-shortest', '-movflags', '+faststart', path]);
}

async function main() {
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  check(existsSync(join(webDir, 'index.html')), `the web UI is built (${webDir})`);
  const work = mkdtempSync(join(tmpdir(), 'cf-e2e-'));
  const video = join(work, 'match.mp4');
  makeVideo(video);
  check(statSync(video).size > 10_000, 'test video generated');

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(clipforge, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', join(work, 'data'), '--workers', '1'], {
    env: { ...process.env, CLIPFORGE_WEB_DIR: webDir, CLIPFORGE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let serverExit;
  server.on('exit', (code, sig) => (serverExit = `exited with ${code ?? sig}`));
  let browser;
  try {
    try {
      await waitHttp(`${base}/healthz`, 20_000, () => serverExit);
    } catch (e) {
      if (serverExit) skip(`this clipforge has no working serve command (${serverExit})`);
      throw e;
    }
    log(`clipforge serve is up on ${base}`);
    const home = await fetch(`${base}/`);
    if (!(home.headers.get('content-type') ?? '').startsWith('text/html'))
      skip(`this clipforge serve does not serve the web UI at / (${home.status} ${home.headers.get('content-type')})`);
    const openapi = await (await fetch(`${base}/openapi.json`)).json();
    const declared = openapi?.paths?.['/v1/jobs']?.post?.['x-cf-job-kinds'];
    const kinds = Array.isArray(declared) ? declared : ['clip_processing'];
    log(`job kinds the server runs: ${kinds.join(', ')}${Array.isArray(declared) ? '' : ' (not declared; assuming clip_processing only)'}`);

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
      // playwright starts Chromium with a fresh temporary profile (its own --user-data-dir)
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // Expected 4xx answers (a route this server lacks, which the UI handles) are not errors;
    // exceptions, console errors and server errors are.
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && pageErrors.push(m.text()));
    page.on('response', (r) => r.status() >= 500 && pageErrors.push(`${r.status()} ${r.url()}`));
    const shot = async (name, p = page) => {
      step++;
      const file = join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`);
      await p.screenshot({ path: file, fullPage: true });
      log(`screenshot ${file}`);
    };
    const api = async (path) => (await fetch(base + path)).json();

    // 1. Upload by the file picker (the drop zone's button), with progress, then the library.
    await page.goto(`${base}/upload`);
    await page.getByRole('heading', { name: 'Upload' }).waitFor();
    await page.setInputFiles('[data-testid="file-input"]', video);
    await page.getByText('Uploaded as').waitFor({ timeout: 30_000 });
    const mediaId = await page.locator('[data-testid="upload-item"] code').first().textContent();
    const media = await api(`/v1/media/${mediaId}`);
    check(media.id === mediaId && media.bytes === statSync(video).size, `upload stored as ${mediaId} with all ${media.bytes} bytes`);
    await shot('upload');

    // Size and type errors are shown, nothing is sent.
    const bogus = join(work, 'notes.txt');
    execFileSync('sh', ['-c', `echo hello > '${bogus}'`]);
    await page.setInputFiles('[data-testid="file-input"]', bogus);
    await page.getByText('notes.txt: not a video or audio file').waitFor();
    check(true, 'a non-media file is refused with a message');

    await page.getByRole('link', { name: 'open the library' }).click();
    const card = page.locator(`[data-testid="media-card"][data-media-id="${mediaId}"]`);
    await card.waitFor();
    check((await card.textContent()).includes('0:12'), 'the library shows the probed duration (0:12)');
    check((await card.locator('.card-title').textContent()) === 'match.mp4', 'the library shows the file name the server stored');
    const listed = await api('/v1/media');
    check(listed.items[0]?.id === mediaId && listed.items[0]?.filename === 'match.mp4', 'GET /v1/media lists the upload first, with its name');
    await shot('library');

    // Autoclip: enabled only when the server runs it.
    const autoBtn = card.getByRole('button', { name: 'One-click autoclip' });
    check((await autoBtn.isDisabled()) === !kinds.includes('autoclip'), `autoclip button ${kinds.includes('autoclip') ? 'enabled' : 'disabled with a reason'}`);

    let spanJobPath;
    if (kinds.includes('highlight_detection')) {
      // 2. Find highlights and watch the job live.
      await card.getByRole('button', { name: 'Find highlights' }).click();
      await page.waitForURL(/\/jobs\/[^/]+$/);
      const seen = await watchJob(page, 120_000);
      check(seen.statuses.at(-1) === 'succeeded', `detection went ${seen.statuses.join(' → ')} live, without a reload`);
      await shot('job-detail-detection');
      await page.getByRole('link', { name: 'Review highlights' }).click();

      // 3. Review: spans with reasons; accept the first; the label is stored.
      await page.locator('[data-testid="span-item"]').first().waitFor();
      const n = await page.locator('[data-testid="span-item"]').count();
      check(n >= 1, `${n} highlight spans shown for review`);
      await page.waitForFunction(() => document.querySelector('video')?.readyState >= 1);
      await page.keyboard.press('Space');
      await page.waitForTimeout(600);
      await page.keyboard.press('k');
      const t = await page.evaluate(() => document.querySelector('[data-testid="review-video"]').currentTime);
      check(t > 0.2, `Space plays the media and K pauses it (at ${t.toFixed(2)} s)`);
      const first = page.locator('[data-testid="span-item"]').first();
      await first.getByRole('button', { name: 'Accept' }).click();
      await page.waitForFunction(() => document.querySelector('[data-testid="span-item"]')?.getAttribute('data-verdict') === 'accept');
      const labels = await fetch(`${base}/v1/labels?media_id=${mediaId}`);
      if (labels.ok) {
        const l = (await labels.json()).items;
        check(l.length === 1 && l[0].verdict === 'accept', 'the accepted span is stored as a label');
      } else {
        log(`labels route answered ${labels.status}: verdict shown but not stored`);
      }
      await shot('review');
      if (kinds.includes('render')) {
        await first.getByRole('button', { name: 'Render…' }).click();
        await page.getByRole('dialog').waitFor();
        await page.getByTestId('render-title-input').fill('Best moment');
        check((await page.getByTestId('preview-title').textContent()) === 'Best moment', 'the title preview follows the typing');
        await shot('render-dialog');
        await page.getByRole('dialog').getByRole('button', { name: 'Render' }).click();
      } else {
        await first.getByRole('button', { name: 'Render…' }).click();
        await page.getByRole('dialog').waitFor();
        await page.getByTestId('render-title-input').fill('Best moment');
        await shot('render-dialog');
        check(await page.getByRole('dialog').getByRole('button', { name: 'Render' }).isDisabled(), 'render is disabled while the server cannot render');
        await page.keyboard.press('Escape');
        await first.getByRole('button', { name: 'Cut clip' }).click();
      }
      spanJobPath = true;
    }
    if (!spanJobPath) {
      // Without highlight detection: cut a clip from the library.
      await card.getByLabel('Clip start, seconds').fill('2.5');
      await card.getByLabel('Clip end, seconds').fill('6');
      await card.getByRole('button', { name: 'Cut clip' }).click();
    }

    // 4. The output job: live progress to the end, then play the result.
    await page.waitForURL(/\/jobs\/[^/]+$/);
    const jobId = decodeURIComponent(page.url().split('/').pop());
    const seen = await watchJob(page, 120_000);
    const job = await api(`/v1/jobs/${jobId}`);
    check(job.status === 'succeeded', `job ${jobId} (${job.kind}) went ${seen.statuses.join(' → ')} on screen and is ${job.status} in the API`);
    check(seen.progress.length >= 1, `progress shown live: ${seen.progress.join(', ')}`);
    const src = await page.getAttribute('[data-testid="artifact-video"]', 'src');
    check(!!src && src.includes('sig='), 'the output plays from a signed URL');
    const played = await page.evaluate(async () => {
      const v = document.querySelector('[data-testid="artifact-video"]');
      v.muted = true;
      await v.play();
      await new Promise((r) => setTimeout(r, 1200));
      v.pause();
      return { t: v.currentTime, d: v.duration, w: v.videoWidth };
    });
    check(played.t > 0.5 && played.w > 0, `the result plays in the page (${played.t.toFixed(2)} s of ${played.d.toFixed(2)} s, ${played.w} px wide)`);
    const dl = await fetch(new URL(src, base));
    check(dl.ok && (await dl.arrayBuffer()).byteLength > 1000, 'the download link serves the file');
    await shot('job-detail-output');

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.locator(`[data-job-id="${jobId}"][data-status="succeeded"]`).waitFor();
    await shot('jobs');
    await page.getByRole('link', { name: 'Clips' }).click();
    await page.locator('[data-testid="clip-card"]').first().waitFor();
    check((await page.locator('[data-testid="clip-card"]').count()) >= 1, 'the gallery shows the clip');
    await shot('gallery');

    // 5. SSE resume: the live indicator comes back after the page reloads mid-stream.
    await page.reload();
    await page.locator('[data-testid="live-indicator"][data-state="open"]').waitFor();
    check(true, 'the event stream reconnects after a reload');

    // 6. A phone-sized screen.
    // (same storage as the desktop page: the library remembers this browser's uploads)
    const phoneContext = await browser.newContext({ storageState: await context.storageState(),
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const phone = await phoneContext.newPage();
    await phone.goto(`${base}/jobs`);
    await phone.locator('[data-testid="job-row"]').first().waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `no horizontal scrolling on a 390 px screen (overflow ${overflow})`);
    await shot('phone-jobs', phone);
    await phone.goto(`${base}/`);
    await phone.locator('[data-testid="media-card"]').first().waitFor();
    await shot('phone-library', phone);

    // Client routes load from the server directly (index.html fallback).
    const deep = await fetch(`${base}/jobs/${jobId}`);
    check(deep.ok && (deep.headers.get('content-type') ?? '').startsWith('text/html'), 'a client route is answered with the app');

    const relevant = pageErrors;
    check(relevant.length === 0, `no errors in the page${relevant.length ? `: ${relevant.join(' | ')}` : ''}`);
    log(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await browser?.close().catch(() => undefined);
    if (!serverExit) {
      server.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => { server.kill('SIGKILL'); r(); }, 8000);
        server.on('exit', () => { clearTimeout(t); r(); });
      });
    }
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  }
  if (serverExit && !/with (0|SIGTERM)$/.test(serverExit)) throw new Error(`clipforge serve ${serverExit}`);
}

/** Watches the job detail page until the job is final; the statuses and progress values seen. */
async function watchJob(page, ms) {
  const statuses = [];
  const progress = [];
  const end = Date.now() + ms;
  for (;;) {
    const s = await page.getAttribute('[data-testid="job-detail"]', 'data-status').catch(() => null);
    const p = await page.textContent('[data-testid="job-progress"]').catch(() => null);
    if (s && statuses.at(-1) !== s) statuses.push(s);
    if (p && progress.at(-1) !== p) progress.push(p);
    if (s === 'succeeded' || s === 'failed' || s === 'cancelled') {
      if (s !== 'succeeded') {
        const problem = await page.textContent('.problem').catch(() => '');
        throw new Error(`job ended ${s}: ${problem}`);
      }
      return { statuses, progress };
    }
    if (Date.now() > end) throw new Error(`job not finished in ${ms} ms (seen ${statuses.join(' → ')})`);
    await page.waitForTimeout(50);
  }
}

main().catch((e) => {
  if (e instanceof Skip) {
    console.log(`[e2e] SKIPPED: ${e.message}`);
    process.exit(SKIPPED);
  }
  console.error(`[e2e] FAILED: ${e.stack ?? e}`);
  process.exit(1);
});
