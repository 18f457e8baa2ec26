#!/usr/bin/env node
// Records what a user's browser uploads: Debian's Chromium (headless) records a canvas and a
// WebAudio tone with MediaRecorder, as a web page recording a screen or a camera does, and the
// file is written as the browser made it (a WebM that states no length and has no index).
// Pictures change colour every second; a 1 kHz pip of 50 ms starts every whole second of the
// sound, so a reader can check that nothing was lost or moved.
// Usage: node e2e/record.mjs --chromium PATH [--seconds N] [--mime TYPE] OUT
import { writeFileSync } from 'node:fs';
import { commandLine, launchChromium } from './chromium.mjs';

const { args: argv, option: opt } = commandLine();
const chromiumPath = opt('chromium', '/usr/bin/chromium');
const seconds = Number(opt('seconds', '8'));
const mime = opt('mime', 'video/webm;codecs=vp8,opus');
const out = argv[0];
if (!out) {
  console.error('usage: record.mjs --chromium PATH [--seconds N] [--mime TYPE] OUT');
  process.exit(2);
}

const browser = await launchChromium(chromiumPath);
try {
  const page = await browser.newPage();
  await page.setContent('<canvas id="c" width="320" height="240"></canvas>');
  const b64 = await page.evaluate(async ({ seconds, mime }) => {
    if (!MediaRecorder.isTypeSupported(mime)) throw new Error(`${mime} cannot be recorded here`);
    const canvas = document.getElementById('c');
    const g = canvas.getContext('2d');
    const ac = new AudioContext();
    await ac.resume();
    const dest = ac.createMediaStreamDestination();
    const osc = ac.createOscillator();
    const gain = ac.createGain();
    osc.frequency.value = 1000;
    gain.gain.value = 0;
    osc.connect(gain).connect(dest);
    const stream = new MediaStream([...canvas.captureStream(30).getVideoTracks(), ...dest.stream.getAudioTracks()]);
    const rec = new MediaRecorder(stream, { mimeType: mime });
    const parts = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    const stopped = new Promise((res) => { rec.onstop = res; });
    const t0 = ac.currentTime + 0.05;
    for (let k = 0; k <= seconds; k++) {
      gain.gain.setValueAtTime(0.5, t0 + k);
      gain.gain.setValueAtTime(0, t0 + k + 0.05);
    }
    osc.start();
    rec.start(1000); // a cluster a second, as pages that upload while recording ask for
    const start = performance.now();
    const draw = () => {
      const s = (performance.now() - start) / 1000;
      g.fillStyle = `hsl(${(Math.floor(s) * 47) % 360}, 80%, 50%)`;
      g.fillRect(0, 0, 320, 240);
      g.fillStyle = '#fff';
      g.font = '48px sans-serif';
      g.fillText(s.toFixed(2), 40, 140);
      if (s < seconds + 1) requestAnimationFrame(draw);
    };
    draw();
    await new Promise((res) => setTimeout(res, seconds * 1000));
    rec.stop();
    await stopped;
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  }, { seconds, mime });
  writeFileSync(out, Buffer.from(b64, 'base64'));
  console.log(`recorded ${out}: ${mime}, ${seconds} s`);
} finally {
  await browser.close();
}
