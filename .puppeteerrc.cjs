// Tests and the browser bench find a browser themselves (bench/chromium.ts: Debian's chromium is installed by npm
// test's pretest); never download one at install (`npx puppeteer browsers install chrome` still does on request).
module.exports = { skipDownload: true };
