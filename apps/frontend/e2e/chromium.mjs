// chromium.mjs — what the scripts that drive Debian's Chromium on media alone (play.mjs,
// record.mjs) share: their command line and the browser, headless, media playing unprompted.
import { chromium } from 'playwright-core';

// The script's arguments; option(name, def) takes `--name VALUE` out of them (def without it),
// so what is left are the positional ones.
export function commandLine() {
  const args = process.argv.slice(2);
  const option = (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args.splice(i, 2)[1] : def;
  };
  return { args, option };
}

export function launchChromium(executablePath) {
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--autoplay-policy=no-user-gesture-required'],
  });
}
