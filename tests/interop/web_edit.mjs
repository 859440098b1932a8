// Editing from the web map in a real browser: on a copy of the bundled
// data with a key from `shanshui key add`, Chromium opens the viewer, the
// key is entered (and kept in the tab's sessionStorage only), a project's
// status and progress are changed in its popup and saved, the map shows
// the change at once, a change made meanwhile by someone else is refused
// (412) with their version shown and then loaded, and the project's point
// is dragged to a new place. Every step is checked against the server's
// API, not against the page. Run by check_web_map.sh.
//
// Env: SHANSHUI_BIN, CHROMIUM, SCREENSHOTS as for check_web_map.mjs.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repo, check, finish, freePort, waitForServer, idle, jump, screenPoint, launch } from './web.mjs';

const bin = process.env.SHANSHUI_BIN || path.join(repo, 'target/release/shanshui');
const shots = process.env.SCREENSHOTS || path.join(repo, 'target/interop-screenshots');
mkdirSync(shots, { recursive: true });

// A project point, inside zone one.
const PROJECT = { id: 'p-reservoir-monitoring-platform', lngLat: [116.83, 40.476] };

async function item(base, id) {
  const r = await fetch(`${base}/collections/projects/items/${id}`);
  return { etag: r.headers.get('ETag'), feature: await r.json() };
}

// The project's properties as the map draws them now.
function rendered(page, id) {
  return page.evaluate((fid) => {
    const map = window.shanshuiMap;
    const layers = map.getStyle().layers.filter((l) => l['source-layer'] === 'projects').map((l) => l.id);
    const f = map.queryRenderedFeatures({ layers }).find((x) => x.properties.id === fid);
    return f ? { ...f.properties, lngLat: f.geometry.type === 'Point' ? f.geometry.coordinates : null } : null;
  }, id);
}

async function until(what, fn, ms = 10000) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shanshui-web-edit-'));
  const data = path.join(tmp, 'data');
  cpSync(path.join(repo, 'geodata'), data, {
    recursive: true,
    filter: (src) => !/sources$|\.journal$|\.history$|keys\.toml$/.test(src),
  });
  const key = execFileSync(bin, ['--data', data, 'key', 'add', 'browser'], { encoding: 'utf8' }).trim();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data', data], { stdio: ['ignore', 'ignore', 'inherit'] });
  let browser;
  try {
    await waitForServer(base, server);
    browser = await launch();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/map`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60000 });
    check(await page.isVisible('#edit'), 'the edit panel shows (a layer takes edits)');

    // The key: entered, kept in this tab's session only.
    await page.fill('#edit-key', key);
    await page.click('#key-form button[type=submit]');
    const stored = await page.evaluate(() => [sessionStorage.getItem('shanshui-write-key'), JSON.stringify(localStorage), document.cookie]);
    check(stored[0] === key && !stored[1].includes('shs_') && !stored[2].includes('shs_'),
      'the key is kept in sessionStorage, not in localStorage or a cookie');

    // The project's popup, with the edit form filled from the server.
    await jump(page, { center: PROJECT.lngLat, zoom: 14 });
    let at = await screenPoint(page, PROJECT.lngLat);
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector('.maplibregl-popup .edit-form', { timeout: 5000 });
    const before = await item(base, PROJECT.id);
    await until('the form to be filled', () => page.$eval('.edit-form', (f) => Boolean(f.dataset.etag)));
    const shown = await page.$eval('.edit-form select[name=status]', (s) => s.value);
    const formEtag = await page.$eval('.edit-form', (f) => f.dataset.etag);
    check(shown === before.feature.properties.status && formEtag === before.etag,
      'the popup offers the project\'s status for editing, read with its ETag', `${shown} ${formEtag}`);

    // Status and progress changed and saved.
    await page.selectOption('.edit-form select[name=status]', 'completed');
    await page.fill('.edit-form input[name=progress]', '80');
    await page.click('.edit-form button[type=submit]');
    await until('the save', () => page.$eval('.edit-message', (m) => m.dataset.kind === 'ok'));
    const saved = await item(base, PROJECT.id);
    check(saved.feature.properties.status === 'completed' && saved.feature.properties.progress === 80,
      'the server has the new status and progress', JSON.stringify(saved.feature.properties).slice(0, 160));
    check(saved.etag !== before.etag, 'the project has a new ETag');
    // The map shows it at once: the tiles are fetched anew.
    await idle(page);
    const drawn = await until('the map to draw the new status', async () => {
      const p = await rendered(page, PROJECT.id);
      return p && p.status === 'completed' ? p : null;
    }).catch(() => null);
    check(drawn !== null, 'the map draws the project with its new status at once', JSON.stringify(drawn));
    await page.screenshot({ path: path.join(shots, 'web-edit-saved.png') });

    // Someone else changes it meanwhile (no If-Match, as QGIS does).
    const theirs = await fetch(`${base}/collections/projects/items/${PROJECT.id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json', Authorization: `Bearer ${key}` },
      body: JSON.stringify({ properties: { progress: 15, status: 'under_construction' } }),
    });
    check(theirs.status === 200, 'another planner\'s change is taken', `${theirs.status}`);
    await page.fill('.edit-form input[name=progress]', '90');
    await page.click('.edit-form button[type=submit]');
    await until('the refusal', () => page.$eval('.edit-message', (m) => m.dataset.kind === 'error'));
    const message = await page.$eval('.edit-message', (m) => m.textContent);
    const other = await page.$eval('.edit-other', (m) => m.textContent);
    check(/Someone else changed/.test(message) && other.includes('15'),
      'a stale save is refused (412), explained, and the other version shown', `${message} | ${other}`);
    const after412 = await item(base, PROJECT.id);
    check(after412.feature.properties.progress === 15, 'the refused save changed nothing on the server');
    await page.screenshot({ path: path.join(shots, 'web-edit-412.png') });
    await page.click('.edit-other button');
    const loaded = await page.$eval('.edit-form input[name=progress]', (i) => i.value);
    check(loaded === '15', 'their version loads into the form', loaded);
    await page.fill('.edit-form input[name=progress]', '95');
    await page.click('.edit-form button[type=submit]');
    await until('the second save', () => page.$eval('.edit-message', (m) => m.dataset.kind === 'ok'));
    const merged = await item(base, PROJECT.id);
    check(merged.feature.properties.progress === 95 && merged.feature.properties.status === 'under_construction',
      'saved over their version', JSON.stringify(merged.feature.properties).slice(0, 160));

    // Dragging the point.
    await page.click('.edit-form button.move');
    const marker = await page.waitForSelector('.maplibregl-marker[data-editing]', { timeout: 5000 });
    const box = await marker.boundingBox();
    at = await screenPoint(page, PROJECT.lngLat);
    const from = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const to = { x: from.x + 120, y: from.y - 60 };
    const target = await page.evaluate(({ dx, dy, ll }) => {
      const map = window.shanshuiMap;
      const p = map.project(ll);
      const t = map.unproject([p.x + dx, p.y + dy]);
      return [t.lng, t.lat];
    }, { dx: 120, dy: -60, ll: PROJECT.lngLat });
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(from.x + 12 * i, from.y - 6 * i);
    await page.mouse.up();
    await until('the move to be saved', () => page.$eval('#edit-status', (m) => m.dataset.kind === 'ok' && /place/.test(m.textContent)));
    const moved = await item(base, PROJECT.id);
    const [lng, lat] = moved.feature.geometry.coordinates;
    const off = Math.hypot((lng - target[0]) * Math.cos(lat * Math.PI / 180), lat - target[1]) * 111320;
    check(off < 30, 'the dragged point is saved where it was dropped', `${off.toFixed(1)} m from the drop, at ${lng}, ${lat}`);
    await idle(page);
    const drawnMoved = await until('the map to draw the moved point', async () => {
      const p = await rendered(page, PROJECT.id);
      return p && p.lngLat && Math.abs(p.lngLat[0] - lng) < 1e-4 ? p : null;
    }).catch(() => null);
    check(drawnMoved !== null, 'the map draws the point at its new place at once');
    await page.screenshot({ path: path.join(shots, 'web-edit-moved.png') });

    // Forgetting the key: no edit form on the next popup.
    await page.click('#key-forget');
    await page.keyboard.press('Escape');
    at = await screenPoint(page, [lng, lat]);
    await page.mouse.click(at.x, at.y);
    await page.waitForSelector('.maplibregl-popup .popup', { timeout: 5000 });
    check(await page.$('.maplibregl-popup .edit-form') === null, 'without a key the popup has no edit form');

    // The history has the three changes by key `browser`.
    const history = await (await fetch(`${base}/collections/projects/items/${PROJECT.id}/history`)).json();
    const mine = history.versions.filter((v) => v.key === 'browser').map((v) => v.changed.join('+'));
    check(mine.length === 4, 'the history lists the browser\'s three saves and the other change', mine.join(', '));
    check(errors.length === 0, 'no page errors', errors.slice(0, 3).join(' | '));
  } catch (e) {
    check(false, 'the edit test ran to its end', e.stack || String(e));
  } finally {
    if (browser) await browser.close();
    server.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
  finish();
}

main();
