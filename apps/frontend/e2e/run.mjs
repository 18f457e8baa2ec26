#!/usr/bin/env node
// End-to-end test of the web UI: starts a real `clipforge serve` on a loopback port with a
// temporary data directory, drives Debian's Chromium with playwright-core through the product's
// flow, and asserts real state (job statuses from the API, labels stored, a rendered file that
// plays). Does as much of the flow as the server runs: each job kind is used only when the server
// declares it runnable. Screenshots of every screen go to --artifacts.
// Usage: node e2e/run.mjs --clipforge PATH [--chromium PATH] [--artifacts DIR] [--keep]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, statSync, readFileSync, writeFileSync } from 'node:fs';
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

/** Polls fn until it returns something (not undefined); fails after ms. */
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A full-page screenshot into the artifacts, numbered in the order taken. */
async function shotOf(p, name) {
  step++;
  const file = join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`);
  await p.evaluate(() => window.scrollTo(0, 0)); // the sticky header then sits at the top of the picture
  await p.screenshot({ path: file, fullPage: true });
  log(`screenshot ${file}`);
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

/** A 60 s 320x240 test video whose audio is a quiet tone with two loud bursts of laughter-like
 *  sound far apart (a voice gliding around 300 Hz in "ha" pulses five times a second, with breath
 *  noise): two highlight candidates the audio-event model hears as laughter. Loudness alone, or
 *  broadband noise, is no longer a moment: it counts only over speech or a reaction. */
function makeVideo(path) {
  const burst = 'between(t,10,13)+between(t,40,43)';
  const laugh = '0.8*sin(2*PI*(300+40*sin(2*PI*5*t))*t)*pow(sin(PI*5*t),2)+0.2*(random(0)*2-1)*pow(sin(PI*5*t),2)';
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=60',
    '-f', 'lavfi', '-i', `aevalsrc='if(${burst},${laugh},0.05*sin(2*PI*440*t)+0.025*sin(2*PI*1250*t))':s=44100:d=60`,
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
  // The server requires API keys, as on a network: an editor's key made with `clipforge keys`,
  // given once to the sign-in page and sent by this script's own calls.
  const apiKey = execFileSync(clipforge, ['keys', 'create', '--data-dir', join(work, 'data'), '--tenant', 'e2e', '--role', 'editor'],
    { encoding: 'utf8' }).trim().split('\n').pop();
  check(/^cfk_[0-9a-f]{12}_[0-9a-f]{64}$/.test(apiKey), 'clipforge keys create printed a key');
  const plainFetch = globalThis.fetch;
  globalThis.fetch = (url, init = {}) => String(url).startsWith(base)
    ? plainFetch(url, { ...init, headers: { Authorization: `Bearer ${apiKey}`, ...(init.headers ?? {}) } })
    : plainFetch(url, init);
  const server = spawn(clipforge, ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', join(work, 'data'), '--workers', '1'], {
    env: { ...process.env, CLIPFORGE_WEB_DIR: webDir, CLIPFORGE_LOG_LEVEL: 'warn', CLIPFORGE_AUTH: 'on' },
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
        '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
        // WebGL on the CPU (SwiftShader), so the preview's WebGL backend runs without a GPU
        '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
      // playwright starts Chromium with a fresh temporary profile (its own --user-data-dir)
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    // The server under ASan beside other tests on two cores can take longer than Playwright's
    // 30 s to finish a job the page waits for; a wait that times out still fails the run.
    context.setDefaultTimeout(60_000);
    const page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // Expected 4xx answers (a route this server lacks, which the UI handles) are not errors;
    // exceptions, console errors and server errors are.
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && pageErrors.push(m.text()));
    page.on('response', (r) => r.status() >= 500 && pageErrors.push(`${r.status()} ${r.url()}`));
    // The event stream's WebSockets (the UI prefers them to SSE) and the frames they bring.
    const sockets = [];
    page.on('websocket', (ws) => {
      const rec = { url: ws.url(), frames: 0 };
      sockets.push(rec);
      ws.on('framereceived', () => rec.frames++);
    });
    const shot = (name, p = page) => shotOf(p, name);
    const api = async (path) => (await fetch(base + path)).json();

    // 0. The server needs a key: the UI asks for it, refuses a wrong one, then shows the tenant.
    const anonymous = await plainFetch(`${base}/v1/jobs`);
    check(anonymous.status === 401, `the API refuses a call without a key (${anonymous.status})`);
    await page.goto(`${base}/upload`);
    await page.getByTestId('signin').waitFor();
    await page.fill('#api-key', apiKey.slice(0, -1) + (apiKey.endsWith('0') ? '1' : '0'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong API key' }).waitFor();
    check(true, 'a wrong key is refused on the sign-in page');
    await a11yCheck(page, 'sign in');
    await page.fill('#api-key', apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('account').filter({ hasText: 'e2e · editor' }).waitFor();
    check(true, 'signed in: the header shows the tenant and role');
    await shot('signin');

    // 1. Upload by the file picker (the drop zone's button), with progress, then the library.
    await page.goto(`${base}/upload`);
    await page.getByRole('heading', { name: 'Upload' }).waitFor();
    await page.setInputFiles('[data-testid="file-input"]', video);
    await page.getByText('Uploaded as').waitFor({ timeout: 60_000 });
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
    check((await card.textContent()).includes('1:00'), 'the library shows the probed duration (1:00)');
    check((await card.locator('.card-title').textContent()) === 'match.mp4', 'the library shows the file name the server stored');
    const listed = await api('/v1/media');
    check(listed.items[0]?.id === mediaId && listed.items[0]?.filename === 'match.mp4', 'GET /v1/media lists the upload first, with its name');
    await libraryCheck(page, card, base, video, work);
    await shot('library');

    // Autoclip: enabled only when the server runs it.
    const autoBtn = card.getByRole('button', { name: 'Autoclip…' });
    check((await autoBtn.isDisabled()) === !kinds.includes('autoclip'), `autoclip button ${kinds.includes('autoclip') ? 'enabled' : 'disabled with a reason'}`);

    let spanJobPath;
    let editedJobId;
    let detectJobId;
    let renderSpan;
    if (kinds.includes('highlight_detection')) {
      // 2. Find highlights and watch the job live.
      await card.getByRole('button', { name: 'Find highlights' }).click();
      await page.waitForURL(/\/jobs\/[^/]+$/);
      const seen = await watchJob(page, 120_000);
      check(seen.statuses.at(-1) === 'succeeded', `detection went ${seen.statuses.join(' → ')} live, without a reload`);
      await shot('job-detail-detection');
      await page.getByRole('link', { name: 'Review highlights' }).click();
      await page.waitForURL(/\/review\/[^/]+$/);

      // 3. Review: spans with reasons and the detector's curve; the keyboard alone plays, seeks,
      // chooses and edits; the accepted span is stored as a label with the edited boundary.
      detectJobId = decodeURIComponent(page.url().split('/').pop());
      const detected = (await api(`/v1/jobs/${detectJobId}`)).result;
      await page.locator('[data-testid="span-item"]').first().waitFor();
      const n = await page.locator('[data-testid="span-item"]').count();
      check(n >= 1 && n === detected.highlights.length, `${n} highlight spans shown for review`);
      check((await page.getAttribute('[data-testid="waveform"]', 'data-curve')) === (detected.score_curve ? 'detector' : 'spans'),
        `the score curve is ${detected.score_curve ? "the detector's own" : 'drawn from the spans'}`);
      await reviewPicturesCheck(page, detected.audio_events);
      await page.waitForFunction(() => document.querySelector('[data-testid="review-video"]')?.readyState >= 1);
      const moved = await keyboardCheck(page, n);
      await page.waitForFunction(() => document.querySelector('[data-testid="span-item"]')?.getAttribute('data-verdict') === 'accept');
      const first = page.locator('[data-testid="span-item"]').first();
      const h0 = detected.highlights[0];
      const labels = await until(async () => {
        const l = (await api(`/v1/labels?media_id=${mediaId}`)).items;
        return l.length ? l : undefined;
      }, 10_000, 'the label to be stored');
      check(labels.length === 1 && labels[0].verdict === 'accept' && labels[0].job_id === detectJobId,
        'A accepted the span: one accept label stored, through the API');
      check(labels[0].start_ms === h0.start_ms + moved && labels[0].detected_start_ms === h0.start_ms && labels[0].end_ms === h0.end_ms,
        `the label has the start moved by the keyboard (${labels[0].start_ms} ms, detected ${h0.start_ms} ms)`);
      if (n > 1) await mouseDragCheck(page, 60_000); // the test video's length
      await shot('review');
      const span = { start_ms: labels[0].start_ms, end_ms: labels[0].end_ms };
      await first.getByRole('button', { name: 'Render…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      const templates = (await api('/v1/templates')).items;
      await dialog.locator('input[name="template"]').first().waitFor();
      check((await dialog.locator('input[name="template"]').count()) === templates.length && templates.length > 0,
        `the template picker offers the server's ${templates.length} templates`);
      await dialog.locator('input[value="shorts-blur"]').check();
      check((await page.getAttribute('[data-testid="render-preview"]', 'class')).includes('preview-vertical fit-blur'),
        'shorts-blur is previewed as a 9:16 frame over a blurred copy');
      await page.getByTestId('render-title-input').fill('Best moment');
      check((await page.getByTestId('preview-title').textContent()) === 'Best moment', 'the title preview follows the typing');
      // a draft (a third of 1080x1920) keeps the render short on a small machine
      await page.getByTestId('render-size').selectOption({ index: 1 });
      await shot('render-dialog');
      if (kinds.includes('render')) {
        await dialog.getByRole('button', { name: 'Render' }).click();
        renderSpan = span;
      } else {
        check(await dialog.getByRole('button', { name: 'Render' }).isDisabled(), 'render is disabled while the server cannot render');
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
    if (renderSpan) {
      const r = job.request;
      check(job.kind === 'render' && r.template_id === 'shorts-blur' && r.format === 'vertical' && r.title === 'Best moment' &&
        r.source_uri === `media://${mediaId}` && r.start_ms === renderSpan.start_ms && r.end_ms === renderSpan.end_ms &&
        r.width === 360 && r.height === 640,
        'the render job has the dialog\'s template, format, title, draft size and the accepted span');
    }
    const src = await page.getAttribute('[data-testid="artifact-video"]', 'src');
    check(!!src && src.includes('sig='), 'the output plays from a signed URL');
    const played = await page.evaluate(async () => {
      const v = document.querySelector('[data-testid="artifact-video"]');
      v.muted = true;
      await v.play();
      // Plays until half a second is shown, or 30 s (a loaded machine can stall playback).
      for (let waited = 0; v.currentTime <= 0.5 && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
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
    const clipCard = page.locator(`[data-testid="clip-card"][data-job-id="${jobId}"]`);
    await clipCard.waitFor();
    await galleryCheck(page, clipCard, base, jobId, context);
    await clipCard.getByTestId('clip-play').click();
    const inGallery = await clipCard.locator('video').evaluate(async (v) => {
      v.muted = true;
      await v.play();
      const end = Date.now() + 10_000;
      while (v.currentTime <= 0.3 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      v.pause();
      return { t: v.currentTime, h: v.videoHeight, w: v.videoWidth };
    });
    check(inGallery.t > 0.3, `the clip plays in the gallery (currentTime ${inGallery.t.toFixed(2)} s, ${inGallery.w}x${inGallery.h})`);
    if (renderSpan) check(inGallery.w === 360 && inGallery.h === 640, 'the rendered clip is the 9:16 draft size');
    await shot('gallery');

    // 4b. Autoclip with settings: live stages, then the run's shorts in the gallery.
    if (kinds.includes('autoclip')) await autoclipCheck(page, base, mediaId);

    // 4c. The clip editor: the instant preview against the server's render of the same
    // timeline, then an edit rendered as a new version and saved as a label.
    if (kinds.includes('render')) editedJobId = await editorCheck(page, base, mediaId);
    if (kinds.includes('render')) await layoutsCheck(page, base, mediaId);

    // 5. Stream resume: the live indicator comes back after the page reloads mid-stream.
    await page.reload();
    await page.locator('[data-testid="live-indicator"][data-state="open"]').waitFor();
    check(true, 'the event stream reconnects after a reload');
    const streams = sockets.filter((w) => w.url.includes('/v1/events/ws'));
    const frames = streams.reduce((n, w) => n + w.frames, 0);
    check(streams.length >= 2 && (frames > 0 || !kinds.includes('highlight_detection')),
      `the event stream runs over WebSocket (${streams.length} connections, ${frames} frames)`);

    // 6. A phone-sized screen: every screen fits 390 px without sideways scrolling, and passes
    // the same accessibility checks as on the desktop.
    // (same storage as the desktop page: the library remembers this browser's uploads)
    const phoneContext = await browser.newContext({ storageState: await context.storageState(),
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    // (session storage is per tab: the phone's tab signs in the way the desktop's did)
    await phoneContext.addInitScript((k) => sessionStorage.setItem('clipforge.apiKey', k), apiKey);
    phoneContext.setDefaultTimeout(60_000);
    const phone = await phoneContext.newPage();
    const phonePages = [['jobs', '/jobs', '[data-testid="job-row"]'], ['library', '/', '[data-testid="media-card"]'],
      ['clips', '/clips', '[data-testid="clip-card"]']];
    if (detectJobId) phonePages.push(['review', `/review/${encodeURIComponent(detectJobId)}`, '[data-testid="span-item"]']);
    if (editedJobId) phonePages.push(['editor', `/edit/${encodeURIComponent(editedJobId)}`, '[data-testid="preview-canvas"]']);
    for (const [name, path, ready] of phonePages) {
      await phone.goto(`${base}${path}`);
      await phone.locator(ready).first().waitFor({ timeout: 60_000 });
      const o = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(o <= 0, `the ${name} screen fits a 390 px screen (overflow ${o})`);
      await a11yCheck(phone, `${name} (phone)`);
      await shot(`phone-${name}`, phone);
    }
    await phone.goto(`${base}/`);
    await phone.getByRole('button', { name: 'Autoclip…' }).first().click();
    await phone.getByTestId('autoclip-dialog').waitFor();
    const dialogFits = await phone.evaluate(() => {
      const r = document.querySelector('[data-testid="autoclip-dialog"]').getBoundingClientRect();
      return { left: r.left, right: r.right, overflow: document.documentElement.scrollWidth - window.innerWidth };
    });
    check(dialogFits.left >= 0 && dialogFits.right <= 390 && dialogFits.overflow <= 0,
      `the autoclip dialog fits a 390 px screen (${dialogFits.left.toFixed(0)}..${dialogFits.right.toFixed(0)} px)`);
    await a11yCheck(phone, 'autoclip dialog (phone)');
    await shot('phone-autoclip-dialog', phone);
    for (const [name, path, ready] of phonePages) {
      await page.goto(`${base}${path}`);
      await page.locator(ready).first().waitFor({ timeout: 60_000 });
      await a11yCheck(page, name);
    }
    await keyboardFlows(page, base);
    await notesCheck(page, base, work);

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

/** Pixel statistics of what an element shows, measured in the page: an <img> or a background
 *  sprite tile is drawn into a canvas, a <canvas> is read as it is. mean: mean luma 0..255;
 *  inked: share of pixels that differ from the top-left one (something was drawn); colour:
 *  share of opaque pixels near rgb. */
async function pixels(page, selector, rgb = [0, 0, 0]) {
  return page.evaluate(async ([sel, rgb]) => {
    const el = document.querySelector(sel);
    if (!el) return { error: `no ${sel}` };
    let c = el;
    if (el.tagName !== 'CANVAS') {
      const img = new Image();
      let sx = 0, sy = 0, sw, sh;
      if (el.tagName === 'IMG') {
        img.src = el.currentSrc || el.src;
      } else {
        // a sprite tile: background-image url, size N*100% M*100%, position x% y%
        const st = getComputedStyle(el);
        img.src = /url\("?(.*?)"?\)/.exec(st.backgroundImage)[1];
        await img.decode();
        const [bw, bh] = st.backgroundSize.split(' ').map((v) => parseFloat(v) / 100);
        const [px, py] = st.backgroundPosition.split(' ').map((v) => parseFloat(v) / 100);
        sw = img.naturalWidth / bw, sh = img.naturalHeight / bh;
        sx = px * (img.naturalWidth - sw), sy = py * (img.naturalHeight - sh);
      }
      await img.decode();
      sw ??= img.naturalWidth;
      sh ??= img.naturalHeight;
      c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(sw));
      c.height = Math.max(1, Math.round(sh));
      c.getContext('2d').drawImage(img, sx, sy, sw, sh, 0, 0, c.width, c.height);
    }
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0, inked = 0, colour = 0;
    for (let i = 0; i < d.length; i += 4) {
      sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 24) inked++;
      if (d[i + 3] > 128 && Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 40) colour++;
    }
    const n = d.length / 4;
    return { mean: sum / n, inked: inked / n, colour: colour / n, w: c.width, h: c.height };
  }, [selector, rgb]);
}

/** The library: the poster is a picture (not black), the filmstrip shows on hover and moves
 *  with the pointer and the arrow keys, search narrows the list, delete asks first. */
async function libraryCheck(page, card, base, video, work) {
  const id = await card.getAttribute('data-media-id');
  const sel = `[data-media-id="${id}"]`;
  check((await card.getByTestId('media-state').textContent()) === 'Not analysed yet', 'a new upload says it is not analysed yet');
  await page.waitForFunction((s) => document.querySelector(`${s} [data-testid="media-poster"]`)?.complete, sel);
  const poster = await pixels(page, `${sel} [data-testid="media-poster"]`);
  check(poster.w > 100 && poster.mean > 40, `the poster is a picture, not black (${poster.w}x${poster.h}, mean luma ${poster.mean?.toFixed(1)})`);
  const thumb = card.getByTestId('media-thumb');
  const box = await thumb.boundingBox();
  await page.mouse.move(box.x + box.width * 0.05, box.y + box.height / 2);
  await card.getByTestId('media-filmstrip').waitFor({ timeout: 60_000 });
  const first = Number(await card.getByTestId('media-filmstrip').getAttribute('data-tile'));
  await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 4 });
  const last = Number(await card.getByTestId('media-filmstrip').getAttribute('data-tile'));
  check(first === 0 && last >= 18, `hovering the poster runs through the filmstrip (tile ${first} at the left, ${last} at the right)`);
  const tile = await pixels(page, `${sel} [data-testid="media-filmstrip"]`);
  check(tile.mean > 40 && tile.inked > 0.2, `the filmstrip tile under the pointer is a picture (mean luma ${tile.mean.toFixed(1)})`);
  await page.mouse.move(0, 0);
  await thumb.focus();
  await page.keyboard.press('End');
  check((await thumb.getAttribute('aria-valuetext')).startsWith('frame at 0:5'), `End on the focused poster shows the last frame (${await thumb.getAttribute('aria-valuetext')})`);
  await page.keyboard.press('Home');

  // a second file to look for and to delete
  const other = join(work, 'other clip.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10:duration=2',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', other]);
  const up = await fetch(`${base}/v1/media?filename=${encodeURIComponent('other clip.mp4')}`, { method: 'POST',
    headers: { 'Content-Type': 'video/mp4' }, body: readFileSync(other) });
  check(up.status === 201, 'a second file uploaded through the API');
  await page.reload();
  await page.locator('[data-testid="media-card"]').nth(1).waitFor();
  const search = page.getByTestId('library-search');
  await search.fill('match');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="media-card"]').length === 1);
  check((await page.locator('[data-testid="media-card"] .card-title').textContent()) === 'match.mp4', 'searching "match" leaves match.mp4 alone');
  await search.fill('');
  await page.getByTestId('library-sort').selectOption('name');
  check((await page.locator('[data-testid="media-card"] .card-title').first().textContent()) === 'match.mp4', 'sorted by name, match.mp4 comes first');
  const otherCard = page.locator('[data-testid="media-card"]', { hasText: 'other clip.mp4' });
  await otherCard.getByRole('button', { name: 'Delete other clip.mp4' }).click();
  const confirm = page.getByRole('alertdialog');
  await confirm.waitFor();
  await shotOf(page, 'library-delete-confirm');
  check((await page.evaluate(() => document.activeElement?.textContent)) === 'Cancel', 'the confirmation has the focus on Cancel');
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await otherCard.waitFor({ state: 'detached' });
  const after = await (await fetch(`${base}/v1/media`)).json();
  check(after.items.length === 1 && after.items[0].filename === 'match.mp4', 'deleting after the confirmation removes the file on the server');
  await page.getByTestId('library-sort').selectOption('newest');
}

/** A result's notes on the job page: a clip of a file with a second (French) audio track and
 *  subtitles names them as left out, and the page lists, as a labelled note, what the API says. */
async function notesCheck(page, base, work) {
  const file = join(work, 'two tracks.mp4');
  const srt = join(work, 'two tracks.srt');
  writeFileSync(srt, '1\n00:00:00,000 --> 00:00:01,500\nHello\n');
  const lavfi = (src) => ['-f', 'lavfi', '-i', src];
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...lavfi('testsrc=size=160x120:rate=10:duration=2'),
    ...lavfi('sine=frequency=440:duration=2'), ...lavfi('sine=frequency=660:duration=2'), '-i', srt,
    '-map', '0', '-map', '1', '-map', '2', '-map', '3', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-c:s', 'mov_text', '-metadata:s:a:1', 'language=fre', file]);
  const up = await fetch(`${base}/v1/media?filename=${encodeURIComponent('two tracks.mp4')}`, { method: 'POST',
    headers: { 'Content-Type': 'video/mp4' }, body: readFileSync(file) });
  check(up.status === 201, 'a file with two audio tracks and subtitles uploaded through the API');
  const media = await up.json();
  const request = { clip_id: 'notes', source_uri: `media://${media.id}`, operations: [{ op: 'trim', start_ms: 0, end_ms: 1000 }] };
  const created = await (await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'clip_processing', request }) })).json();
  await page.goto(`${base}/jobs/${encodeURIComponent(created.id)}`);
  const job = await until(async () => {
    const j = await (await fetch(`${base}/v1/jobs/${created.id}`)).json();
    if (j.status === 'failed') throw new Error(`the clip of two audio tracks failed: ${JSON.stringify(j.error)}`);
    return j.status === 'succeeded' ? j : undefined;
  }, 120_000, 'the clip of two audio tracks');
  const notes = job.result.notes ?? [];
  check(notes.some((n) => n.includes('audio stream 2') && n.includes('fre') && n.includes('subtitle stream 3')),
    `the result names the French track and the subtitles it leaves out (${JSON.stringify(notes)})`);
  const box = page.getByRole('note', { name: 'Notes' });
  await page.locator('[data-testid="job-detail"][data-status="succeeded"] [data-testid="job-notes"]').waitFor({ timeout: 60_000 });
  const shown = await box.getByRole('listitem').allTextContents();
  check(JSON.stringify(shown) === JSON.stringify(notes), `the job page shows the result's notes (${shown.length} of ${notes.length})`);
  await a11yCheck(page, 'job notes');
  await shotOf(page, 'job-detail-notes');
}

/** Autoclip from the library's dialog (3 draft shorts of 4-6 s, no captions): the job shows
 *  its stages live; the gallery then shows the run's shorts under the source, the third of
 *  which is low-confidence (the test video has two loud moments) with the reason; the run's
 *  zip holds its three videos. */
async function autoclipCheck(page, base, mediaId) {
  await page.getByRole('link', { name: 'Library' }).click();
  const card = page.locator(`[data-testid="media-card"][data-media-id="${mediaId}"]`);
  await card.getByRole('button', { name: 'Autoclip…' }).click();
  const dialog = page.getByTestId('autoclip-dialog');
  await dialog.waitFor();
  check(await dialog.getByTestId('ac-silences').isEnabled() && !(await dialog.getByTestId('ac-silences').isChecked()),
    'the autoclip dialog offers "Remove silences", off by default');
  await dialog.getByTestId('ac-count').fill('3');
  await dialog.getByTestId('ac-min').fill('4');
  await dialog.getByTestId('ac-max').fill('6');
  await dialog.getByTestId('ac-captions').uncheck();
  await dialog.getByTestId('ac-size').selectOption({ index: 1 });
  await shotOf(page, 'autoclip-dialog');
  await dialog.getByRole('button', { name: 'Make 3 shorts' }).click();
  await page.waitForURL(/\/jobs\/[^/]+$/);
  const jobId = decodeURIComponent(page.url().split('/').pop());
  const stages = new Set();
  let estimate;
  const end = Date.now() + 240_000;
  // Read what is on the page now, without waiting for an element to appear: a wait on the
  // estimate (shown only once progress allows one) used to outlast a short job's every stage.
  const now = async (sel) => ((await page.locator(sel).count()) ? page.locator(sel).first().textContent() : null);
  for (;;) {
    const st = await now('[data-testid="job-stage"]');
    if (st) stages.add(st);
    estimate ??= (await now('[data-testid="job-estimate"]')) ?? undefined;
    const status = await page.getAttribute('[data-testid="job-detail"]', 'data-status');
    if (status === 'succeeded') break;
    if (status === 'failed' || status === 'cancelled' || Date.now() > end) throw new Error(`autoclip job ${status}`);
    await page.waitForTimeout(100);
  }
  // (features may come from the cache of the detection run: then that stage is over at once)
  check(stages.size >= 3 && [...stages].some((x) => x.startsWith('render')),
    `the autoclip job showed its stages live (${[...stages].join(', ')})${estimate ? `, and a time estimate ("${estimate}")` : ''}`);
  const job = await (await fetch(`${base}/v1/jobs/${jobId}`)).json();
  const r = job.request;
  check(r.count === 3 && r.min_length_ms === 4000 && r.max_length_ms === 6000 && r.captions === false && r.width === 360,
    'the autoclip job has the dialog\'s count, lengths, captions and draft size');
  await shotOf(page, 'autoclip-job');
  await page.getByRole('link', { name: 'Clips' }).click();
  const group = page.locator(`[data-testid="gallery-group"][data-group="${jobId}"]`);
  await group.waitFor();
  const cards = group.getByTestId('clip-card');
  check(await cards.count() === 3, 'the gallery groups the run\'s 3 shorts together');
  const all = await page.locator('[data-testid="clip-card"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id')));
  check(new Set(all).size === all.length, `no clip appears twice in the gallery (${all.length} cards)`);
  const scores = await group.getByTestId('clip-score').allTextContents();
  check(scores.length === 3 && scores.every((x) => /^\d\.\d\d$/.test(x)), `each short shows its score (${scores.join(', ')})`);
  const low = group.getByTestId('clip-low-confidence');
  check(await low.count() >= 1 && (await low.first().textContent()).includes('threshold'),
    `the short without a clear moment is marked low-confidence, with why ("${await low.first().textContent()}")`);
  check((await group.getByTestId('clip-reasons').count()) === 3, 'each short lists the reasons it was picked');
  const zipEntries = async (link) => {
    const zip = Buffer.from(await (await fetch(new URL(await link.getAttribute('href'), base))).arrayBuffer());
    return zip.toString('latin1').split('PK\x01\x02').length - 1;
  };
  const entries = await zipEntries(group.getByTestId('group-zip'));
  check(entries === 3, `the run's zip holds its ${entries} videos`);
  const everything = page.getByTestId('gallery-zip');
  const inAll = await zipEntries(everything);
  check((await everything.textContent()) === `Download all ${all.length} (zip)` && inAll === all.length,
    `"Download all ${all.length} (zip)" serves one zip of every clip in the gallery (${inAll} videos)`);
  await shotOf(page, 'gallery-autoclip');
  await page.getByRole('link', { name: 'Library' }).click();
  const state = page.locator(`[data-testid="media-card"][data-media-id="${mediaId}"] [data-testid="media-state"]`);
  await state.waitFor();
  check((await state.textContent()) === '3 shorts made', `the library says what was made of the file ("${await state.textContent()}")`);
}

/** Largest mean difference (of 255, over every pixel and RGB channel) allowed between the
 *  preview's frame and the server render's frame at the same time: see docs/architecture.md,
 *  "Instant preview", for what differs (scaling filters, the encoder, fonts). */
const PREVIEW_MEAN_DIFF_BOUND = 8;
const PREVIEW_TIMES_MS = [600, 2000, 4000];

/** Waits until the preview has drawn its frame at t: the source video has to load and seek
 *  first, which on a loaded 2-core machine (an ASan server, other tests' encoders) once took
 *  more than the 20 s this wait used to allow. On a timeout, says what the page's videos were
 *  doing, so a failure tells a slow load from a seek that never ends. */
async function drawnAt(page, t) {
  try {
    await page.waitForFunction((v) => document.querySelector('[data-testid="preview-canvas"]')?.getAttribute('data-drawn-ms') === String(v), t,
      { timeout: 60_000 });
  } catch (e) {
    const state = {
      drawn: await page.evaluate(() => document.querySelector('[data-testid="preview-canvas"]')?.getAttribute('data-drawn-ms')).catch(() => 'unknown'),
      videos: await videoStates(page, '.preview-player video'),
    };
    throw new Error(`the preview did not draw its frame at ${t} ms within 60 s: ${JSON.stringify(state)} (${e.message})`);
  }
}

/** The preview's frame at t against the server's output at t: mean |difference| per channel
 *  (0..255), the share of pixels differing by more than 48, both frames as PNG data URLs, and
 *  in each frame where the caption highlight colour is (hl: pixel count and mean x of the
 *  pixels near `highlight` in the caption band of the 9:16 templates, rows 72-85 % down, below
 *  the video). */
async function compareAt(page, videoUrl, t, highlight = [255, 204, 0]) {
  const slider = page.getByTestId('preview-time');
  await slider.evaluate((el, v) => {
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    set.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, t);
  await drawnAt(page, t);
  return page.evaluate(async ([url, ms, rgb]) => {
    const preview = document.querySelector('[data-testid="preview-canvas"]');
    const W = preview.width, H = preview.height;
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'auto';
    v.src = url;
    await new Promise((r, j) => { v.onloadeddata = r; v.onerror = () => j(new Error('server video does not load')); });
    // a hair past t: the frame whose interval holds t (frames start on multiples of 1/30 s)
    await new Promise((r) => { v.onseeked = r; v.currentTime = ms / 1000 + 0.005; });
    // 'seeked' can come before the new frame is ready to draw (a busy machine drew the old one):
    // wait until it is presented, or 150 ms
    await new Promise((r) => { v.requestVideoFrameCallback?.(() => r()); setTimeout(r, 150); });
    const grab = (src) => {
      const c = document.createElement('canvas');
      c.width = W;
      c.height = H;
      const ctx = c.getContext('2d');
      ctx.drawImage(src, 0, 0, W, H);
      return { c, d: ctx.getImageData(0, 0, W, H).data };
    };
    const a = grab(preview);
    const b = grab(v);
    let sum = 0, far = 0;
    for (let i = 0; i < a.d.length; i += 4) {
      let px = 0;
      for (let k = 0; k < 3; k++) {
        const d = Math.abs(a.d[i + k] - b.d[i + k]);
        sum += d;
        px = Math.max(px, d);
      }
      if (px > 48) far++;
    }
    const n = a.d.length / 4;
    const hl = (d) => {
      let k = 0, sx = 0;
      for (let y = Math.round(H * 0.72); y < Math.round(H * 0.85); y++)
        for (let x = 0; x < W; x++) {
          const i = (y * W + x) * 4;
          if (Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 60) k++, sx += x;
        }
      return { n: k, cx: k ? sx / k : NaN };
    };
    return { mean: sum / (n * 3), far: far / n, preview: a.c.toDataURL('image/png'), server: b.c.toDataURL('image/png'), W, H,
      hl: { preview: hl(a.d), server: hl(b.d) } };
  }, [videoUrl, t, highlight]);
}

function savePng(name, dataUrl) {
  writeFileSync(join(artifacts, name), Buffer.from(dataUrl.split(',')[1], 'base64'));
}

/** The clip editor on a render with caption words: its preview (WebGL, then Canvas 2D) drawn
 *  at several times matches the server's render of the same timeline; then a corrected word,
 *  a shorter span and a new title render as version 2, kept beside version 1, and the edit is
 *  stored as a clip_edit label with the correction. */
async function editorCheck(page, base, mediaId) {
  const words = [['goal', 10_600, 11_000, 0.9], ['wrold', 11_200, 11_800, 0.45], ['cup', 12_000, 12_500, 0.9], ['final', 12_600, 13_200, 0.9],
    ['what', 13_400, 13_800, 0.9], ['a', 13_900, 14_000, 0.9], ['match', 14_100, 14_700, 0.9]]
    .map(([word, start_ms, end_ms, confidence]) => ({ word, start_ms, end_ms, confidence }));
  const transcript = { language: 'en-us', model: 'e2e', duration_ms: 60_000,
    segments: [{ start_ms: 10_600, end_ms: 14_700, text: words.map((w) => w.word).join(' '), words }] };
  const request = { clip_id: 'preview-check', template_id: 'shorts-blur', source_uri: `media://${mediaId}`, start_ms: 10_000, end_ms: 16_000,
    width: 360, height: 640, title: 'Preview check', transcript };
  const created = await (await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'render', request }) })).json();
  const job = await until(async () => {
    const j = await (await fetch(`${base}/v1/jobs/${created.id}`)).json();
    if (j.status === 'failed') throw new Error(`render failed: ${JSON.stringify(j.error)}`);
    return j.status === 'succeeded' ? j : undefined;
  }, 120_000, 'the render with captions');
  const videoUrl = job.result.outputs.find((a) => a.kind === 'video').url;
  const figures = {};
  for (const mode of ['webgl', '2d']) {
    await page.goto(`${base}/edit/${encodeURIComponent(job.id)}${mode === '2d' ? '?preview=2d' : ''}`);
    await page.getByTestId('preview-canvas').waitFor({ timeout: 60_000 });
    const backend = await page.getByTestId('preview-canvas').getAttribute('data-backend');
    if (mode === '2d') check(backend === '2d', 'the preview falls back to Canvas 2D when asked to');
    else log(`the preview draws with ${backend === 'webgl' ? 'WebGL' : 'Canvas 2D (no WebGL in this browser)'}`);
    figures[backend] ??= [];
    const hl = {};
    for (const t of PREVIEW_TIMES_MS) {
      const r = await compareAt(page, videoUrl, t);
      hl[t] = r.hl;
      figures[backend].push({ t_ms: t, mean_abs_diff: Number(r.mean.toFixed(2)), share_over_48: Number(r.far.toFixed(4)) });
      savePng(`preview-${backend}-${t}ms.png`, r.preview);
      if (mode === 'webgl') savePng(`server-${t}ms.png`, r.server);
      check(r.W === 360 && r.H === 640 && r.mean < PREVIEW_MEAN_DIFF_BOUND,
        `preview (${backend}) vs server render at ${t / 1000} s: mean |difference| ${r.mean.toFixed(2)}/255 (bound ${PREVIEW_MEAN_DIFF_BOUND}), ${(r.far * 100).toFixed(2)} % of pixels off by more than 48`);
    }
    // 0.6 s: "goal" is spoken, 2 s: "cup", the third word of the same line: the highlight moves right
    const [a, b] = [hl[PREVIEW_TIMES_MS[0]], hl[PREVIEW_TIMES_MS[1]]];
    check(a.preview.n > 30 && b.preview.n > 30 && b.preview.cx - a.preview.cx > 40 && b.server.cx - a.server.cx > 40 &&
      Math.abs(a.preview.cx - a.server.cx) < 12 && Math.abs(b.preview.cx - b.server.cx) < 12,
      `the spoken word is highlighted (${backend}): the highlight moves from "goal" (x ${a.preview.cx.toFixed(0)}, server ${a.server.cx.toFixed(0)}) ` +
      `to "cup" (x ${b.preview.cx.toFixed(0)}, server ${b.server.cx.toFixed(0)})`);
    if (mode === '2d' && backend === '2d' && figures.webgl === undefined) log('(WebGL was not available: only the 2D backend was compared)');
  }
  writeFileSync(join(artifacts, 'preview-vs-server.json'), JSON.stringify(figures, null, 2));
  await shotOf(page, 'clip-editor');

  // the edit: the doubtful word corrected, the end brought in, a new title
  const doubtful = page.locator('.word-doubtful [data-testid="caption-word"]');
  check(await doubtful.count() === 1 && (await doubtful.inputValue()) === 'wrold', 'the word the recogniser was unsure of is marked for checking');
  await doubtful.fill('world');
  await page.getByTestId('edit-end').fill('15');
  await page.getByTestId('edit-title').fill('Preview checked');
  // another template: the preview redraws in its layout (fit: black above the video where
  // blur_fill had its blurred cover)
  const topLuma = () => page.evaluate(() => {
    const src = document.querySelector('[data-testid="preview-canvas"]');
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = Math.round(src.height * 0.2);
    const ctx = c.getContext('2d');
    ctx.drawImage(src, 0, 0, src.width, c.height, 0, 0, c.width, c.height);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    return sum / (d.length / 4);
  });
  const blurTop = await topLuma();
  await page.getByTestId('edit-template').selectOption('landscape-clean');
  const fitTop = await until(async () => { const v = await topLuma(); return v < 10 ? v : undefined; }, 15_000, 'the preview in the fit layout');
  check(blurTop > 40, `switching the template redraws the preview in its layout (top of the frame: mean luma ${blurTop.toFixed(0)} blurred cover → ${fitTop.toFixed(0)} black)`);
  await page.waitForFunction(() => document.querySelector('[data-testid="preview-canvas"]')?.getAttribute('aria-label')?.includes('frame'));
  await page.getByTestId('render-version').click();
  await page.getByTestId('edit-saved').waitFor();
  const versions = page.getByTestId('version');
  await until(async () => (await versions.count()) === 2 ? true : undefined, 20_000, 'version 2 listed');
  await page.locator('[data-testid="version"]:nth-child(2)[data-status="succeeded"]').waitFor({ timeout: 120_000 });
  const list = await (await fetch(`${base}/v1/jobs/${job.id}/versions`)).json();
  const v2 = list.items[1];
  const w2 = v2.request.transcript.segments[0].words.find((w) => w.start_ms === 11_200);
  check(list.items.length === 2 && list.items[0].id === job.id && v2.parent_id === job.id && v2.request.end_ms === 15_000 &&
    v2.request.title === 'Preview checked' && v2.request.template_id === 'landscape-clean' && w2.word === 'world' && w2.confidence === 1,
    'version 2 renders the edit (span, title, template, the corrected word, now certain) and version 1 is kept');
  const srt = await (await fetch(new URL(v2.result.outputs.find((a) => a.uri.endsWith('.srt')).url, base))).text();
  check(srt.includes('world') && !srt.includes('wrold'), 'version 2\'s captions say "world"');
  const labels = (await (await fetch(`${base}/v1/labels?media_id=${mediaId}`)).json()).items.filter((l) => l.source === 'clip_edit');
  const l = labels.at(-1);
  check(l && l.clip_job_id === job.id && l.end_ms === 15_000 && l.detected_end_ms === 16_000 && l.title === 'Preview checked' &&
    l.detected_title === 'Preview check' && l.caption_fixes.length === 1 && l.caption_fixes[0].heard === 'wrold' && l.caption_fixes[0].said === 'world',
    'the edit is stored as a clip_edit label: span, title and the corrected word, beside what was proposed');
  await shotOf(page, 'clip-editor-versions');
  await page.getByRole('link', { name: 'Clips', exact: true }).click();
  const card = page.locator(`[data-testid="clip-card"][data-job-id="${job.id}"]`);
  await card.waitFor();
  check((await card.getByTestId('clip-versions').textContent()) === 'v2' && (await card.locator('h4').textContent()) === 'Preview checked',
    'the gallery shows the clip once, as its newest version (v2)');
  return job.id;
}

/** The preview's other layouts against server renders of the same 2 s: smart crop (following
 *  the camera path the server computed), split (halves stacked) and fit on a 16:9 canvas. The
 *  three renders are submitted together, the camera path asked for beside them (the editor's
 *  request then finds it made); each is compared as it finishes. */
async function layoutsCheck(page, base, mediaId) {
  const cases = [['shorts-smartcrop', 'vertical', 360, 640], ['podcast-split', 'vertical', 360, 640], ['landscape-clean', 'horizontal', 640, 360]];
  const ids = [];
  for (const [template_id, format, width, height] of cases) {
    const request = { clip_id: `layout-${template_id}`, template_id, format, source_uri: `media://${mediaId}`, start_ms: 20_000, end_ms: 22_000,
      width, height, title: 'Layouts' };
    const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ kind: 'render', request }) });
    ids.push((await res.json()).id);
  }
  const pathUrl = `${base}/v1/media/${mediaId}/camera-path?start_ms=20000&end_ms=22000&width=360&height=640`;
  const cameraPath = fetch(pathUrl).then((r) => r.json());
  const figures = {};
  for (const [k, [template_id, , width, height]] of cases.entries()) {
    const job = await until(async () => {
      const j = await (await fetch(`${base}/v1/jobs/${ids[k]}`)).json();
      if (j.status === 'failed') throw new Error(`${template_id} render failed: ${JSON.stringify(j.error)}`);
      return j.status === 'succeeded' ? j : undefined;
    }, 120_000, `the ${template_id} render`);
    const videoUrl = job.result.outputs.find((a) => a.kind === 'video').url;
    await page.goto(`${base}/edit/${encodeURIComponent(job.id)}`);
    await page.getByTestId('preview-canvas').waitFor({ timeout: 60_000 });
    let note = '';
    if (template_id === 'shorts-smartcrop') {
      await page.locator('[data-testid="preview-canvas"][data-framing="server"]').waitFor({ timeout: 60_000 });
      const path = await cameraPath;
      const xs = path.samples.map((x) => x.x);
      note = `; the camera moves over x ${Math.min(...xs)}..${Math.max(...xs)} of ${path.source.width - path.crop.width} (centre ${(path.source.width - path.crop.width) / 2})`;
    }
    figures[template_id] = [];
    // times on both frame grids (25 fps source, 30 fps render) and the time slider's 40 ms steps
    for (const t of [600, 1800]) {
      const r = await compareAt(page, videoUrl, t);
      figures[template_id].push({ t_ms: t, mean_abs_diff: Number(r.mean.toFixed(2)), share_over_48: Number(r.far.toFixed(4)) });
      savePng(`preview-${template_id}-${t}ms.png`, r.preview);
      savePng(`server-${template_id}-${t}ms.png`, r.server);
      check(r.W === width && r.H === height && r.mean < PREVIEW_MEAN_DIFF_BOUND,
        `${template_id} preview vs server render at ${t / 1000} s: mean |difference| ${r.mean.toFixed(2)}/255 (bound ${PREVIEW_MEAN_DIFF_BOUND})${t === 600 ? note : ''}`);
    }
    await shotOf(page, `clip-editor-${template_id}`);
  }
  // split on two people (the rendering tests' portrait twice, from Debian's python3-skimage):
  // each panel framed on a face, in the preview as in the render
  const faces = join(process.env.CF_RENDER_TESTDATA ?? '', 'two_faces.mp4');
  if (process.env.CF_RENDER_TESTDATA && existsSync(faces)) {
    const up = await (await fetch(`${base}/v1/media?filename=two_faces.mp4`, { method: 'POST', headers: { 'Content-Type': 'video/mp4' },
      body: readFileSync(faces) })).json();
    const request = { clip_id: 'layout-split-faces', template_id: 'podcast-split', source_uri: `media://${up.id}`, start_ms: 0, end_ms: 2000,
      width: 360, height: 640, title: 'Layouts' };
    const created = await (await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'render', request }) })).json();
    const framing = await (await fetch(`${base}/v1/media/${up.id}/split-framing?start_ms=0&end_ms=2000&width=360&height=640`)).json();
    check(framing.regions?.length === 2 && framing.regions[0].x < framing.regions[1].x,
      `the server frames a split of two people on each (regions at x ${framing.regions?.map((r) => r.x).join(' and ')})`);
    const job = await until(async () => {
      const j = await (await fetch(`${base}/v1/jobs/${created.id}`)).json();
      if (j.status === 'failed') throw new Error(`split render failed: ${JSON.stringify(j.error)}`);
      return j.status === 'succeeded' ? j : undefined;
    }, 120_000, 'the split render of two people');
    await page.goto(`${base}/edit/${encodeURIComponent(job.id)}`);
    await page.locator('[data-testid="preview-canvas"][data-framing="server"]').waitFor({ timeout: 60_000 });
    const r = await compareAt(page, job.result.outputs.find((a) => a.kind === 'video').url, 600);
    figures['podcast-split (two people)'] = [{ t_ms: 600, mean_abs_diff: Number(r.mean.toFixed(2)), share_over_48: Number(r.far.toFixed(4)) }];
    savePng('preview-split-faces-600ms.png', r.preview);
    savePng('server-split-faces-600ms.png', r.server);
    check(r.mean < PREVIEW_MEAN_DIFF_BOUND, `split of two people: preview vs server render at 0.6 s: mean |difference| ${r.mean.toFixed(2)}/255 (bound ${PREVIEW_MEAN_DIFF_BOUND})`);
    await shotOf(page, 'clip-editor-split-faces');
  } else {
    log('(no CF_RENDER_TESTDATA/two_faces.mp4: the split of two people is not compared)');
  }
  writeFileSync(join(artifacts, 'preview-layouts-vs-server.json'), JSON.stringify(figures, null, 2));
}

/** Accessibility of what the page shows: every control has a name a screen reader can say,
 *  and text has at least WCAG AA contrast against what is behind it (4.5:1, or 3:1 when large). */
async function a11yCheck(page, what) {
  const r = await page.evaluate(() => {
    const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const nameOf = (el) => {
      const by = el.getAttribute('aria-labelledby');
      if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
      const al = el.getAttribute('aria-label');
      if (al) return al.trim();
      if (el.labels && el.labels.length) return [...el.labels].map((l) => l.textContent).join(' ').trim();
      const t = el.textContent?.trim();
      if (t) return t;
      return (el.getAttribute('title') ?? '').trim();
    };
    const controls = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [role=slider], canvas[role=img]')]
      .filter(visible);
    const unnamed = controls.filter((el) => !nameOf(el)).map((el) => el.outerHTML.slice(0, 120));
    // every control the Tab key reaches; the audio-event blocks and the filmstrip under the
    // timeline only seek, which the timeline's arrow keys do, so they stay out of the Tab order
    const untabbable = controls.filter((el) => el.tagName !== 'CANVAS' && !el.disabled && el.tabIndex < 0 &&
      !el.matches('.events-band-block, .filmstrip-tile')).map((el) => el.outerHTML.slice(0, 120));
    const rgba = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const behind = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c.length === 4 ? c[3] > 0.5 : c.length === 3) return c.slice(0, 3);
      }
      return [17, 20, 27];
    };
    const poor = [];
    for (const el of document.querySelectorAll('body *')) {
      if (!visible(el) || el.closest(':disabled, [aria-disabled="true"], video, canvas, svg')) continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const st = getComputedStyle(el);
      const fg = rgba(st.color);
      const bg = behind(el);
      const a = fg.length === 4 ? fg[3] : 1;
      const mixed = fg.slice(0, 3).map((v, i) => v * a + bg[i] * (1 - a));
      const L1 = lum(mixed), L2 = lum(bg);
      const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
      const px = parseFloat(st.fontSize);
      const large = px >= 24 || (px >= 18.66 && Number(st.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) poor.push(`${ratio.toFixed(2)}:1 "${el.textContent.trim().slice(0, 30)}" (${st.color} on rgb(${bg.join(',')}))`);
    }
    return { unnamed, poor, untabbable };
  });
  check(r.untabbable.length === 0, `${what}: every control is reached by the Tab key${r.untabbable.length ? `; not: ${r.untabbable.join(' | ')}` : ''}`);
  check(r.unnamed.length === 0, `${what}: every control has a name for screen readers${r.unnamed.length ? `; not: ${r.unnamed.join(' | ')}` : ''}`);
  check(r.poor.length === 0, `${what}: text contrast is at least 4.5:1 (3:1 large)${r.poor.length ? `; not: ${r.poor.slice(0, 6).join(' | ')}` : ''}`);
}

/** Actions by keyboard alone: the autoclip dialog opens from its button, keeps the focus inside,
 *  closes on Escape and gives the focus back; a clip plays from the gallery with Enter. */
async function keyboardFlows(page, base) {
  await page.goto(`${base}/`);
  const open = page.getByRole('button', { name: 'Autoclip…' }).first();
  await open.focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('autoclip-dialog').waitFor();
  const inside = async () => page.evaluate(() => !!document.activeElement?.closest('[data-testid="autoclip-dialog"]'));
  check(await inside(), 'Enter on "Autoclip…" opens the dialog with the focus in it');
  for (let i = 0; i < 25; i++) await page.keyboard.press('Tab');
  check(await inside(), 'Tab keeps the focus inside the dialog');
  await page.keyboard.press('Escape');
  await page.getByTestId('autoclip-dialog').waitFor({ state: 'detached' });
  check(await page.evaluate(() => document.activeElement?.textContent === 'Autoclip…'), 'Escape closes it and the focus goes back to its button');
  await page.goto(`${base}/clips`);
  const play = page.getByTestId('clip-play').first();
  await play.focus();
  await page.keyboard.press('Enter');
  const v = page.locator('[data-testid="clip-card"] video').first();
  await v.waitFor();
  await page.waitForFunction(() => { const x = document.querySelector('[data-testid="clip-card"] video'); return x && x.currentTime > 0.2; }, null,
    { timeout: 15_000 });
  check(true, 'Enter on a clip\'s poster plays it in place');
}

/** The gallery: the clip has a poster that is a picture, its title; the zip of its group holds
 *  its video; a share link is copied to the clipboard and downloads the clip. */
async function galleryCheck(page, clipCard, base, jobId, context) {
  const sel = `[data-testid="clip-card"][data-job-id="${jobId}"]`;
  await page.waitForFunction((s) => document.querySelector(`${s} [data-testid="clip-poster"]`)?.complete, sel);
  const poster = await pixels(page, `${sel} [data-testid="clip-poster"]`);
  check(poster.mean > 30 && poster.inked > 0.2, `the clip's poster is a picture (mean luma ${poster.mean.toFixed(1)})`);
  check((await clipCard.locator('h4').textContent()).length > 0, `the clip has a title (${await clipCard.locator('h4').textContent()})`);
  const meta = await clipCard.locator('.clip-meta').textContent();
  const sec = (x) => x.split(':').reduce((a, b) => a * 60 + Number(b), 0);
  const m = /^(\d+:\d\d) · (\d+:\d\d)–(\d+:\d\d) of match\.mp4$/.exec(meta.trim());
  check(m && Math.abs(sec(m[1]) - (sec(m[3]) - sec(m[2]))) <= 1, `the clip shows its duration, span and source ("${meta.trim()}")`);
  const groupZip = page.locator('[data-testid="gallery-group"]', { has: clipCard }).getByTestId('group-zip');
  const zip = await fetch(new URL(await groupZip.getAttribute('href'), base));
  const bytes = Buffer.from(await zip.arrayBuffer());
  const job = await (await fetch(`${base}/v1/jobs/${jobId}`)).json();
  const video = (job.result.outputs ?? job.result.artifacts).find((a) => a.kind === 'video');
  check(zip.ok && zip.headers.get('content-type') === 'application/zip' && bytes.subarray(0, 2).toString() === 'PK' &&
    bytes.length > video.bytes, `"Download all (zip)" of the group serves a zip holding the clip (${bytes.length} bytes for a ${video.bytes}-byte video)`);
  const one = clipCard.getByRole('link', { name: /^Download / });
  const single = await fetch(new URL(await one.getAttribute('href'), base));
  check(single.ok && (await one.getAttribute('download')) !== null && (await single.arrayBuffer()).byteLength === video.bytes,
    'the clip\'s own Download link serves its video');
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await clipCard.getByRole('button', { name: /Copy a share link/ }).click();
  await clipCard.getByTestId('share-url').waitFor();
  const link = await clipCard.getByTestId('share-url').inputValue();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  check(copied === link && (await clipCard.getByTestId('share-status').textContent()).startsWith('Link copied'), 'Copy link puts the signed link on the clipboard');
  const shared = await fetch(link);
  check(shared.ok && (await shared.arrayBuffer()).byteLength === video.bytes, 'the shared link downloads the clip');
  await shotOf(page, 'gallery-shared');
}

/** The review screen's pictures: the server's waveform drawn, the filmstrip under the timeline,
 *  the audio events band (when the detector heard events). */
async function reviewPicturesCheck(page, events) {
  await page.waitForSelector('[data-testid="waveform"][data-peaks="ready"]', { timeout: 60_000 });
  const wave = await pixels(page, '[data-testid="waveform"] canvas', [0x8e, 0x9b, 0xb8]);
  check(wave.colour > 0.03, `the waveform is drawn (${(wave.colour * 100).toFixed(1)} % of the canvas in the waveform's colour)`);
  // the score curve (orange): its height over the canvas at the loud burst (10-13 s of 60) and in the quiet (25 s)
  const curve = await page.evaluate(() => {
    const c = document.querySelector('[data-testid="waveform"] canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const top = (sec) => {
      const x = Math.round((sec / 60) * c.width);
      for (let y = 0; y < c.height; y++) {
        const i = (y * c.width + x) * 4;
        if (Math.abs(d[i] - 255) + Math.abs(d[i + 1] - 159) + Math.abs(d[i + 2] - 28) < 60) return 1 - y / c.height;
      }
      return 0;
    };
    return { loud: top(11.5), quiet: top(25) };
  });
  check(curve.loud > curve.quiet + 0.2, `the score curve is drawn, high at the loud moment (${curve.loud.toFixed(2)} of the height at 0:11, ${curve.quiet.toFixed(2)} at 0:25)`);
  await page.locator('[data-testid="filmstrip-track"] button').first().waitFor();
  const n = await page.locator('[data-testid="filmstrip-track"] button').count();
  check(n === 20, `the filmstrip under the timeline has ${n} frames`);
  const tile = await pixels(page, '[data-testid="filmstrip-track"] button:nth-child(3)');
  check(tile.mean > 40, `a filmstrip frame under the timeline is a picture (mean luma ${tile.mean.toFixed(1)})`);
  if (events?.length) {
    const blocks = page.locator('[data-testid="audio-events"] .events-band-block');
    check(await blocks.count() === events.length, `the audio events band shows the detector's ${events.length} events`);
    // the longest event's block, as the screen shows it, is painted in its class's colour
    const longest = events.reduce((a, b) => (b.end_ms - b.start_ms > a.end_ms - a.start_ms ? b : a));
    const block = page.locator(`[data-testid="audio-events"] .events-band-block[data-class="${longest.class}"]`).first();
    // what it should look like: its colour at its opacity over what is behind it
    const expected = await block.evaluate((el) => {
      const rgb = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const own = rgb(getComputedStyle(el).backgroundColor);
      const op = Number(getComputedStyle(el).opacity);
      let bg = [17, 20, 27];
      for (let e = el.parentElement; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { bg = c.slice(0, 3); break; }
      }
      return own.slice(0, 3).map((v, i) => Math.round(v * op + bg[i] * (1 - op)));
    });
    const [b, track] = [await block.boundingBox(), await page.locator('[data-testid="audio-events"] .events-band-track').boundingBox()];
    check(b.y >= track.y - 0.5 && b.y + b.height <= track.y + track.height + 0.5, `the block sits inside the band (${b.height.toFixed(0)} px tall, the band ${track.height.toFixed(0)} px)`);
    const shown = await screenPixels(page, block, expected);
    check(shown.colour > 0.6, `the "${longest.class}" block is painted on screen in its colour (${(shown.colour * 100).toFixed(0)} % of its pixels near rgb(${expected.join(',')}))`);
    const legend = await page.locator('[data-testid="audio-events"] .events-band-legend li').allTextContents();
    check(legend.includes(longest.class), `the band's legend names the classes heard (${legend.join(', ')})`);
  }
}

/** Pixel statistics (as pixels()) of what the screen shows in an element's box: a screenshot
 *  of it decoded in the page. */
async function screenPixels(page, locator, rgb = [0, 0, 0]) {
  const png = await locator.screenshot();
  return page.evaluate(async ([b64, rgb]) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let sum = 0, colour = 0;
    for (let i = 0; i < d.length; i += 4) {
      sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
      if (Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 40) colour++;
    }
    const n = d.length / 4;
    return { mean: sum / n, colour: colour / n, w: c.width, h: c.height };
  }, [png.toString('base64'), rgb]);
}

/** What each video matching selector is doing (ready and network state, paused, seeking, time,
 *  buffered ranges, error), for a timeout to tell a stalled load from a play that never began. */
function videoStates(page, selector) {
  return page.evaluate((sel) => [...document.querySelectorAll(sel)].map((v) => ({
    readyState: v.readyState, networkState: v.networkState, paused: v.paused, seeking: v.seeking, currentTime: v.currentTime,
    buffered: [...Array(v.buffered.length).keys()].map((i) => [v.buffered.start(i), v.buffered.end(i)]),
    error: v.error?.message ?? v.error?.code ?? null,
  })), selector).catch(() => 'unknown');
}

/** Waits until the review video has played past t s. Playing starts only once the data at the
 *  playhead has loaded, which on a loaded 2-core machine (an ASan server, other browser tests)
 *  once took more than 30 s. Chromium's media pipeline has also been seen to stall there under
 *  load: playing, the whole file buffered, and the ready state stuck at HAVE_CURRENT_DATA for
 *  90 s, through a K and Space too. The page did its part (the video is playing, not paused), so
 *  a stall like that is told apart, logged, and met as a viewer would: K and Space again, then a
 *  seek to where the playhead is (which makes the pipeline read the data again), at most 3 times. */
async function playedPast(page, t) {
  const past = (ms) => page.waitForFunction((x) => document.querySelector('[data-testid="review-video"]').currentTime > x, t,
    { timeout: ms }).then(() => true, () => false);
  if (await past(45_000)) return;
  let [v] = await videoStates(page, '[data-testid="review-video"]');
  let nudges = 0;
  for (; nudges < 3 && isStalled(v); nudges++) {
    log(`note: the browser's playback stalled at ${v.currentTime.toFixed(2)} s with the data buffered (${JSON.stringify(v)}); ` +
      (nudges % 2 === 0 ? 'K, Space again' : 'seeking to the playhead'));
    if (nudges % 2 === 0) {
      await page.keyboard.press('k');
      await page.keyboard.press('Space');
    } else {
      await page.evaluate(() => {
        const x = document.querySelector('[data-testid="review-video"]');
        x.currentTime = x.currentTime;
        if (x.paused) x.play().catch(() => {});
      });
    }
    if (await past(30_000)) return;
    [v] = await videoStates(page, '[data-testid="review-video"]');
  }
  throw new Error(`the review video did not play past ${t} s within 45 s and ${nudges} nudges of 30 s: ${JSON.stringify(v)}`);
}

/** Waits for the review video's seek to end with its picture there. Headless Chromium now and
 * then never ends a seek (seeking stays true, the file buffered): the seek is asked again, as a
 * viewer clicking the same place would, up to twice. */
async function seekSettled(page) {
  const settled = (ms) => page.waitForFunction(() => {
    const e = document.querySelector('[data-testid="review-video"]');
    return !e.seeking && e.readyState >= 2;
  }, undefined, { timeout: ms }).then(() => true, () => false);
  for (let asked = 0; asked < 3; asked++) {
    if (await settled(20_000)) return;
    const [v] = await videoStates(page, '[data-testid="review-video"]');
    log(`note: the browser's seek did not end in 20 s (${JSON.stringify(v)}); seeking there again`);
    await page.evaluate(() => { const x = document.querySelector('[data-testid="review-video"]'); x.currentTime = x.currentTime; });
  }
  throw new Error('the review video\'s seek did not end within 3 tries of 20 s');
}

/** Playing, not seeking, the data at the playhead buffered, but not enough to play on. */
function isStalled(v) {
  return typeof v === 'object' && !v.paused && !v.seeking && v.readyState < 3 &&
    v.buffered.some(([a, b]) => a <= v.currentTime && v.currentTime < b);
}

/** The review screen by keyboard alone: Tab reaches the timeline; arrows seek and choose spans;
 *  J, Space, K and L play, pause and speed up; Tab reaches the first span's start handle, whose
 *  arrows move it; A accepts the span. Returns how far the start moved (ms). */
async function keyboardCheck(page, spans) {
  const video = () => page.evaluate(() => {
    const v = document.querySelector('[data-testid="review-video"]');
    return { t: v.currentTime, paused: v.paused, rate: v.playbackRate };
  });
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? document.activeElement?.getAttribute('aria-label'));
  const near = (a, b) => Math.abs(a - b) < 0.08;
  let tabs = 0;
  while ((await focused()) !== 'timeline' && tabs < 80) {
    await page.keyboard.press('Tab');
    tabs++;
  }
  check((await focused()) === 'timeline', `Tab reaches the timeline (${tabs} presses)`);
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('ArrowLeft');
  let v = await video();
  check(near(v.t, 7), `→ → → Shift+→ ← seek to 7 s on the timeline (at ${v.t.toFixed(2)} s)`);
  await page.keyboard.press('j');
  v = await video();
  check(near(v.t, 2), `J jumps back 5 s (at ${v.t.toFixed(2)} s)`);
  // as a viewer would, Space once the picture at 2 s is there (not in the middle of the seek)
  await seekSettled(page);
  await page.keyboard.press('Space');
  await playedPast(page, 2.3);
  v = await video();
  check(!v.paused, `Space plays (at ${v.t.toFixed(2)} s)`);
  await page.keyboard.press('k');
  v = await video();
  check(v.paused, `K pauses (at ${v.t.toFixed(2)} s)`);
  await page.keyboard.press('l');
  await page.keyboard.press('l');
  v = await video();
  check(!v.paused && v.rate === 1.5, `L plays, L again plays faster (rate ${v.rate})`);
  await page.keyboard.press('k');
  if (spans > 1) {
    await page.keyboard.press('ArrowDown');
    check((await page.getAttribute('[data-testid="span-item"]:nth-child(2)', 'aria-current')) === 'true', '↓ chooses the next highlight');
    await page.keyboard.press('ArrowUp');
  }
  check((await page.getAttribute('[data-testid="span-item"]:nth-child(1)', 'aria-current')) === 'true', 'the first highlight is chosen');
  await page.keyboard.press('Tab');
  check((await focused()) === 'Start of highlight 1', 'Tab moves from the timeline to the chosen span\'s start handle');
  const handle = page.getByRole('slider', { name: 'Start of highlight 1' });
  const before = Number(await handle.getAttribute('aria-valuenow'));
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  const after = Number(await handle.getAttribute('aria-valuenow'));
  check(after === before + 200, `→ on the handle moves the start by 100 ms a press (${before} → ${after} ms)`);
  await page.keyboard.press('a');
  return after - before;
}

/** The review's spans by mouse: a click chooses the second span, dragging its end handle by
 *  5 % of the timeline's width moves its end by 5 % of the media. */
async function mouseDragCheck(page, durationMs) {
  const tl = await page.getByTestId('timeline').boundingBox();
  const second = await page.getByTestId('span-1').boundingBox();
  await page.mouse.click(second.x + second.width / 2, second.y + second.height / 2);
  check((await page.getAttribute('[data-testid="span-item"]:nth-child(2)', 'aria-current')) === 'true', 'a click on the second span chooses it');
  const end = page.getByRole('slider', { name: 'End of highlight 2' });
  const before = Number(await end.getAttribute('aria-valuenow'));
  const b = await end.boundingBox();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2 + tl.width * 0.05, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
  const after = Number(await end.getAttribute('aria-valuenow'));
  check(Math.abs(after - before - 0.05 * durationMs) < 0.01 * durationMs,
    `dragging the end handle 5 % of the way moves the end by ${after - before} ms (${before} → ${after} ms)`);
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
