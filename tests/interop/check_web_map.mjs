// The web map in a real browser: Chromium (Debian's, driven by
// playwright-core) opens the viewer served by a `shanshui serve` started on
// a free loopback port, and checks what a planner sees. Run by
// check_web_map.sh, which installs what this needs.
//
// Env: SHANSHUI_BIN (the server binary), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOTS (default target/interop-screenshots).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { repo, check, finish, freePort, waitForServer, idle, jump, screenPoint, launch } from './web.mjs';

const bin = process.env.SHANSHUI_BIN || path.join(repo, 'target/release/shanshui');
const shots = process.env.SCREENSHOTS || path.join(repo, 'target/interop-screenshots');
mkdirSync(shots, { recursive: true });

// The reservoir view: every layer has features here.
const RESERVOIR_VIEW = { center: [116.935, 40.497], zoom: 11.3 };
// Inside zone one, off the water and ~600 m from anything else drawn.
const ZONE_ONE_POINT = [116.906, 40.483];
// A project point with its name.
const PROJECT = { id: 'p-reservoir-monitoring-platform', lngLat: [116.83, 40.476], name: '密云水库环境监测综合管理平台' };
const ZONE_ONE = 'reservoir_zones/zone-1';

// Rendered features per symbol (label) layer in the current view.
function labelCounts(page) {
  return page.evaluate(() => {
    const map = window.shanshuiMap;
    const out = {};
    for (const l of map.getStyle().layers.filter((x) => x.type === 'symbol')) {
      out[l.id] = map.queryRenderedFeatures({ layers: [l.id] }).length;
    }
    return out;
  });
}

// The colour the map drew at a longitude/latitude, read from the WebGL
// drawing buffer right after a frame (before it is cleared).
function pixelAt(page, lngLat) {
  return page.evaluate((ll) => new Promise((resolve) => {
    const map = window.shanshuiMap;
    map.once('render', () => {
      const canvas = map.getCanvas();
      const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
      const p = map.project(ll);
      const ratio = canvas.width / canvas.clientWidth;
      const x = Math.round(p.x * ratio);
      const y = Math.round(canvas.height - p.y * ratio);
      const px = new Uint8Array(4);
      gl.readPixels(x, y, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      resolve(Array.from(px));
    });
    map.triggerRepaint();
  }), lngLat);
}

function hex(c) {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  return m ? [1, 2, 3].map((i) => parseInt(m[i], 16)) : null;
}

async function main() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  let browser;
  try {
    await waitForServer(base, server);
    const expected = JSON.parse(execFileSync(bin, [
      'query', 'within', '--layer', 'projects', '--zone', ZONE_ONE, '--partly', '--format', 'geojson',
    ], { encoding: 'utf8' })).features.map((f) => [f.properties.id, f.properties.relation]);
    const style = await (await fetch(`${base}/styles/miyun.json`)).json();
    const catalog = await (await fetch(`${base}/catalog`)).json();

    browser = await launch();
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 }, locale: 'zh-CN' });
    const consoleErrors = [];
    const failedRequests = [];
    const glyphs = [];
    const offHost = [];
    // Offline: every request to another host is refused, as on an
    // intranet with no internet; the check below fails if the page tries.
    await page.route((url) => !url.href.startsWith(base), (route) => route.abort('internetdisconnected'));
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('requestfailed', (r) => failedRequests.push(`${r.url()} (${r.failure() && r.failure().errorText})`));
    page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) offHost.push(r.url()); });
    page.on('response', (r) => {
      if (r.status() >= 400) failedRequests.push(`${r.url()} (${r.status()})`);
      if (r.url().includes('/fonts/')) glyphs.push([decodeURIComponent(r.url().slice(base.length)), r.status()]);
    });

    // `/` is the viewer when the landing page hands browsers the map.
    const root = await (await fetch(`${base}/`, { headers: { Accept: 'text/html' } })).text();
    const entry = root.includes('id="map"') ? '/' : '/map';
    console.log(`   viewer opened at ${entry}${entry === '/map' ? ' (/ does not serve the map yet)' : ''}`);
    await page.goto(`${base}${entry}`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 60000 });
    await idle(page);
    check(true, `the page loads and the map reaches idle at ${entry}`);

    const hash = await page.evaluate(() => location.hash);
    check(/^#[\d.]+\/[-\d.]+\/[-\d.]+/.test(hash), 'the view is kept in the URL hash (zoom/lat/lon)', hash);

    const legend = await page.$$eval('#layer-list > li', (lis) => lis.map((li) => li.dataset.layer));
    const layerIds = catalog.layers.map((l) => l.id);
    check(layerIds.every((id) => legend.includes(id)), 'the layer list has a toggle for every layer', legend.join(', '));
    const swatches = await page.$$eval('#layer-list .swatch', (s) => s.length);
    check(swatches >= 10, 'the legend shows swatches', `${swatches}`);

    await page.screenshot({ path: path.join(shots, 'web-map-district.png') });
    const labelsDistrict = await labelCounts(page);

    // The reservoir view.
    await jump(page, RESERVOIR_VIEW);
    const perLayer = await page.evaluate((ids) => {
      const map = window.shanshuiMap;
      const out = {};
      for (const id of ids) {
        const layers = map.getStyle().layers.filter((l) => l['source-layer'] === id).map((l) => l.id);
        out[id] = layers.length ? map.queryRenderedFeatures({ layers }).length : 0;
      }
      return out;
    }, layerIds);
    for (const id of layerIds) {
      check(perLayer[id] > 0, `layer ${id} has rendered features over the reservoir`, `${perLayer[id]}`);
    }
    const labelsHere = await labelCounts(page);
    // Zone one's colour: its fill blended over the district's.
    const paint = (id, prop) => style.layers.find((l) => l.id === id).paint[prop];
    const fill = hex(paint('zone1-fill', 'fill-color'));
    const under = hex(paint('district-fill', 'fill-color'));
    const a = paint('zone1-fill', 'fill-opacity');
    const want = fill.map((c, i) => Math.round(a * c + (1 - a) * under[i]));
    const got = await pixelAt(page, ZONE_ONE_POINT);
    const close = got.slice(0, 3).every((c, i) => Math.abs(c - want[i]) <= 12);
    check(close, `the colour inside zone one is zone one's`, `rgb(${got.slice(0, 3)}) vs rgb(${want})`);

    await page.screenshot({ path: path.join(shots, 'web-map-reservoir.png') });

    // Click a project: its popup with its name.
    await jump(page, { center: PROJECT.lngLat, zoom: 13 });
    const at = await screenPoint(page, PROJECT.lngLat);
    const labelsClose = await labelCounts(page);
    // Labels are drawn in one view or another (each has its zooms).
    for (const id of Object.keys(labelsClose)) {
      const n = [labelsDistrict, labelsHere, labelsClose].map((c) => c[id] || 0);
      check(n.some((x) => x > 0), `labels drawn: ${id}`, `district ${n[0]}, reservoir ${n[1]}, close-up ${n[2]}`);
    }
    await page.mouse.click(at.x, at.y);
    const popup = await page.waitForSelector('.maplibregl-popup .popup', { timeout: 5000 }).catch(() => null);
    const popupText = popup ? await popup.innerText() : '';
    check(popupText.includes(PROJECT.name), 'clicking a project opens its popup with its name', popupText.split('\n').slice(0, 3).join(' | '));
    const here = await page.waitForFunction(() => document.querySelectorAll('#here-results li[data-layer]').length > 0, null, { timeout: 5000 })
      .then(() => page.$$eval('#here-results li[data-layer]', (lis) => lis.map((li) => `${li.dataset.layer}/${li.dataset.id}`)))
      .catch(() => []);
    check(here.includes(`projects/${PROJECT.id}`) && here.includes(ZONE_ONE), '"what is here" lists the project and zone one', here.join(', '));

    // The planner's question for zone one.
    await page.selectOption('#zone-select', ZONE_ONE);
    await page.waitForFunction(() => document.querySelectorAll('#planner-results li').length > 0, null, { timeout: 10000 }).catch(() => null);
    const listed = await page.$$eval('#planner-results li', (lis) => lis.map((li) => [li.dataset.id, li.dataset.relation]));
    check(JSON.stringify(listed) === JSON.stringify(expected),
      'the planner lists the projects in zone one as `shanshui query within --partly` does',
      `${listed.length} listed, ${expected.length} expected`);
    await new Promise((r) => setTimeout(r, 1500)); // the fitBounds animation
    await idle(page);
    const highlighted = await page.evaluate(() => window.shanshuiMap.queryRenderedFeatures({ layers: ['planner-hits-ring', 'planner-hits-glow', 'planner-zone-line'] }).length);
    check(highlighted > 0, 'the planner highlights the zone and its projects on the map', `${highlighted}`);
    await page.screenshot({ path: path.join(shots, 'web-map-planner.png') });

    // What the page asked for.
    const bad = glyphs.filter(([, s]) => s !== 200);
    check(glyphs.length > 0 && bad.length === 0, 'glyph requests answered 200', `${glyphs.length} requests: ${[...new Set(glyphs.map(([u]) => u))].join(', ')}`);
    check(consoleErrors.length === 0, 'no console errors', consoleErrors.slice(0, 3).join(' | '));
    check(failedRequests.length === 0, 'no failed requests', failedRequests.slice(0, 3).join(' | '));
    check(offHost.length === 0, 'no request leaves the server', offHost.slice(0, 3).join(' | '));
    console.log(`   screenshots: ${['district', 'reservoir', 'planner'].map((n) => path.join(shots, `web-map-${n}.png`)).join(' ')}`);
  } catch (e) {
    check(false, 'the browser test ran to its end', e.stack || String(e));
  } finally {
    if (browser) await browser.close();
    server.kill();
  }
  finish();
}

main();
