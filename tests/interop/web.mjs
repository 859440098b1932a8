// What the browser tests share (check_web_map.mjs, web_edit.mjs): their
// ok/FAIL lines and counts, a free port, waiting for the server and for
// the map, and Chromium (Debian's, driven by playwright-core) launched as
// the suite runs it.
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(repo, 'styles/viewer/package.json'));
const { chromium } = require('playwright-core');

export const counts = { passed: 0, failed: 0 };

export function check(ok, what, detail = '') {
  if (ok) counts.passed++; else counts.failed++;
  console.log(`${ok ? 'ok' : 'FAIL'} ${what}${detail ? ` — ${detail}` : ''}`);
}

// Prints the closing `N passed, M failed` line and exits with its status.
export function finish() {
  console.log(`${counts.passed} passed, ${counts.failed} failed`);
  process.exit(counts.failed ? 1 : 0);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitForServer(base, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`shanshui serve exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('shanshui serve did not answer /health within 10 s');
}

// Resolves once the map has rendered everything it needs for the view.
export function idle(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const map = window.shanshuiMap;
    map.once('idle', () => resolve());
    map.triggerRepaint();
  }));
}

export async function jump(page, view) {
  await page.evaluate((v) => window.shanshuiMap.jumpTo(v), view);
  await idle(page);
}

// Where a longitude/latitude is on the page, in CSS pixels.
export function screenPoint(page, lngLat) {
  return page.evaluate((ll) => {
    const p = window.shanshuiMap.project(ll);
    const r = window.shanshuiMap.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, lngLat);
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
