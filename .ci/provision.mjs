// npm test's pretest: the Debian packages the tests need, installed when missing (as root, with apt-get), else named
// in one line. Quiet when they are all there; does nothing off Debian (the test projects then say what they lack).
//  - chromium: SwiftShader's Vulkan driver (/usr/lib/chromium/vk_swiftshader_icd.json) for the Node tests, and the
//    headless browser for the browser tests;
//  - libvulkan1: the Vulkan loader Dawn opens (chromium does not pull it in);
//  - Mesa's EGL and OpenGL ES (llvmpipe, the compatibility-mode adapter): in Debian's base image, listed to be sure.
// Never fails by itself (a machine with a GPU needs none of these); XENTROPY_NO_PROVISION=1 turns it off.
import { spawnSync } from 'node:child_process';

const PACKAGES = ['chromium', 'libvulkan1', 'libegl1', 'libgles2', 'libegl-mesa0', 'libgl1-mesa-dri'];
const run = (command, args, env = process.env) => spawnSync(command, args, { encoding: 'utf8', env });

const dpkg = (name) => run('dpkg-query', ['-W', '-f=${Status}', name]);
if (process.platform !== 'linux' || process.env.XENTROPY_NO_PROVISION || dpkg('dpkg').error) process.exit(0);
const missing = PACKAGES.filter((name) => dpkg(name).stdout !== 'install ok installed');
if (missing.length === 0) process.exit(0);

const list = missing.join(' ');
const consequence = 'the test projects that need them fail saying so';
if (process.getuid?.() !== 0 || run('apt-get', ['--version']).error) {
  console.log(
    `xentropy tests: missing Debian packages ${list}: install them (sudo apt-get install ${list}); ${consequence}`,
  );
  process.exit(0);
}
console.log(`xentropy tests: installing ${list} (apt-get)`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const update = run('apt-get', ['update', '-qq'], env);
const install =
  update.status === 0 ? run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], env) : update;
if (install.status !== 0) {
  const why = `${install.stderr}`.trim().split('\n').pop();
  console.log(`xentropy tests: apt-get could not install ${list} (${why}); ${consequence}`);
}
