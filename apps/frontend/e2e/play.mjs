#!/usr/bin/env node
// Plays media files through to the end in Debian's Chromium (headless, muted, at 4x) and checks
// that each one plays as a browser user would see it: no media error, `ended` reached, the
// decoder saw at least --frames pictures and called none of them corrupt, and (--duration) its
// length is the one given, within 50 ms. Used to check that files whose streams are joined from
// pieces (smart cuts) or cut by an edit list (copies) play in a browser, not only in FFmpeg.
// Usage: node e2e/play.mjs --chromium PATH --frames N [--duration SECONDS] FILE...
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { commandLine, launchChromium } from './chromium.mjs';

const { args: argv, option: opt } = commandLine();
const chromiumPath = opt('chromium', '/usr/bin/chromium');
const minFrames = Number(opt('frames', '1'));
const durationArg = opt('duration', null); // each option is taken from the arguments once
const wantDuration = durationArg === null ? null : Number(durationArg);
const files = argv.map((f) => resolve(f));
if (!files.length) {
  console.error('usage: play.mjs --chromium PATH --frames N FILE...');
  process.exit(2);
}

// Range requests, as a media server answers them: Chromium seeks and reads in pieces.
const server = createServer((req, res) => {
  const file = files.find((f) => `/${basename(f)}` === req.url);
  if (!file) {
    res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>play</title>');
    return;
  }
  const body = readFileSync(file);
  const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m && m[2] ? Number(m[2]) : body.length - 1;
  res.writeHead(m ? 206 : 200, {
    'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'content-length': end - start + 1,
    ...(m ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
  });
  res.end(body.subarray(start, end + 1));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;

let failed = false;
const browser = await launchChromium(chromiumPath);
try {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  for (const file of files) {
    const r = await page.evaluate(async (src) => {
      const v = document.createElement('video');
      v.muted = true;
      document.body.appendChild(v);
      const outcome = new Promise((res) => {
        v.onended = () => res('ended');
        v.onerror = () => res(`error ${v.error?.code}: ${v.error?.message}`);
        setTimeout(() => res('timeout'), 60000);
      });
      v.src = src;
      await new Promise((res) => { v.onloadedmetadata = res; });
      v.playbackRate = 4;
      await v.play();
      const how = await outcome;
      const q = v.getVideoPlaybackQuality();
      const r = { how, duration: v.duration, total: q.totalVideoFrames, corrupt: q.corruptedVideoFrames, w: v.videoWidth };
      v.remove();
      return r;
    }, `${base}/${basename(file)}`);
    const lengthOk = wantDuration === null || Math.abs(r.duration - wantDuration) <= 0.05;
    const ok = r.how === 'ended' && r.corrupt === 0 && r.total >= minFrames && r.w > 0 && lengthOk;
    console.log(`${ok ? 'ok' : 'FAIL'}: ${basename(file)}: ${r.how}, ${r.duration.toFixed(3)} s` +
      `${wantDuration === null ? '' : ` (${wantDuration} s wanted)`}, ` +
      `${r.total} pictures decoded (at least ${minFrames}), ${r.corrupt} corrupt, ${r.w} px wide`);
    failed ||= !ok;
  }
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
