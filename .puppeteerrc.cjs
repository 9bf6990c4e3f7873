// Tests drive Debian's chromium (/usr/bin/chromium, installed by .ci/run); never download a browser at install.
module.exports = { skipDownload: true };
