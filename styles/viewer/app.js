// The shanshui viewer: the map, the layer list with its legend, feature
// popups, the planner's panel (projects inside a zone or reserve, from
// /query/within), "what is here" (/query/at) and, with a write key, edits
// of a project's status and progress in its popup and of its place by
// dragging (OGC API Features Part 4, If-Match). Plain browser JavaScript
// over MapLibre GL JS; the server writes its URLs into #shanshui-config.
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('shanshui-config').textContent);
  const base = config.base;

  // Chinese labels are drawn by the browser with these fonts (MapLibre's
  // localIdeographFontFamily); Latin glyphs come from the server's /fonts.
  const CJK_FONTS = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', " +
    "'PingFang SC', 'Microsoft YaHei', sans-serif";

  const CATEGORY = {
    economy: '经济发展 Economy', politics: '政治建设 Politics', culture: '文化建设 Culture',
    society: '社会民生 Society', ecology: '生态文明 Ecology',
  };
  const CATEGORY_COLOUR = {
    economy: '#e08a00', politics: '#c62828', culture: '#8d5524', society: '#3949ab', ecology: '#0a9396',
  };
  const STATUS = {
    planned: '规划 planned', under_construction: '在建 under construction',
    completed: '建成 completed', existing: '已有 existing', in_service: '运行 in service',
    suspended: '暂停 suspended',
  };
  const RELATION = { inside: '完全在内 inside', partly: '部分在内 partly', touches: '相接 touches' };
  const FIELD = {
    id: '编号 id', category: '类别 category', status: '状态 status', lead_unit: '牵头单位 lead unit',
    start_year: '开工年份 start', level: '级别 level', town: '所属镇 town', code: '区划代码 code',
    area_ha: '面积 area (ha)', type: '类型 type', protects: '保护对象 protects',
    established: '建立 established', approval: '批准文号 approval', rule: '管控规则 rule',
    places: '途经 places', accuracy: '精度 accuracy', adcode: '区划代码 adcode',
    relation: '关系 relation', overlap_ha: '重叠面积 overlap (ha)', overlap_m: '重叠长度 overlap (m)',
    overlap_fraction: '重叠比例 overlap share', distance_m: '距离 distance (m)',
    progress: '进度 progress (%)',
  };
  // Shown under "more", not in the table.
  const LONG_FIELDS = ['note', 'source', 'seed_key'];

  const hadHash = /^#[\d.]+\/[-\d.]+\/[-\d.]+/.test(location.hash);
  const map = new maplibregl.Map({
    container: 'map',
    style: config.style,
    hash: true,
    localIdeographFontFamily: CJK_FONTS,
    attributionControl: { compact: true },
    maxZoom: 18,
  });
  window.shanshuiMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 140 }), 'bottom-left');

  const state = { catalog: null, zones: new Map(), popup: null, hits: [], marker: null };

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  async function getJSON(path) {
    const r = await fetch(base + path);
    const body = await r.json().catch(() => null);
    if (!r.ok) throw new Error((body && body.message) || `${r.status} ${path}`);
    return body;
  }

  function layerTitle(id) {
    const l = state.catalog && state.catalog.layers.find((x) => x.id === id);
    return l ? l.title : { zh: id, en: id };
  }

  function styleLayersOf(sourceLayer) {
    return map.getStyle().layers.filter((l) => l['source-layer'] === sourceLayer).map((l) => l.id);
  }

  // ---- Layer list and legend ------------------------------------------

  function swatch(item) {
    if (item.circle) {
      return el('span', {
        class: 'swatch circle',
        style: `background:${item.circle};border-color:${item.stroke || '#fff'}`,
      });
    }
    if (item.fill) {
      const s = el('span', { class: 'swatch' });
      const fill = el('span', {
        style: `position:absolute;inset:0;background:${item.fill};opacity:${item.opacity ?? 1}`,
      });
      s.append(fill);
      if (item.line) s.style.border = `1.5px ${item.dash ? 'dashed' : 'solid'} ${item.line}`;
      return s;
    }
    return el('span', { class: 'swatch line' + (item.dash ? ' dash' : ''), style: `border-top-color:${item.line}` });
  }

  function buildLayerList() {
    const legend = (map.getStyle().metadata || {})['shanshui:legend'] || [];
    const list = document.getElementById('layer-list');
    list.replaceChildren();
    const seen = new Set();
    const entries = legend.concat(state.catalog.layers
      .filter((l) => !legend.some((g) => g.layer === l.id))
      .map((l) => ({ layer: l.id, items: [] })));
    for (const group of entries) {
      const ids = styleLayersOf(group.layer);
      if (!ids.length || seen.has(group.layer)) continue;
      seen.add(group.layer);
      const title = layerTitle(group.layer);
      const li = el('li', { 'data-layer': group.layer });
      const box = el('input', { type: 'checkbox', id: `toggle-${group.layer}` });
      box.checked = true;
      box.addEventListener('change', () => {
        for (const id of ids) map.setLayoutProperty(id, 'visibility', box.checked ? 'visible' : 'none');
        li.classList.toggle('off', !box.checked);
      });
      li.append(el('label', { class: 'layer', for: box.id }, box, title.zh, ' ', el('small', { text: title.en })));
      const items = el('ul');
      for (const item of group.items || []) {
        items.append(el('li', { 'data-key': item.key || '' }, swatch(item), item.zh, ' ', el('small', { text: item.en })));
      }
      if (group.note) items.append(el('li', { class: 'note', text: `${group.note.zh} · ${group.note.en}` }));
      if (items.childElementCount) li.append(items);
      list.append(li);
    }
  }

  // ---- Popups -----------------------------------------------------------

  function valueText(key, v) {
    if (key === 'category') return CATEGORY[v] || v;
    if (key === 'status') return STATUS[v] || v;
    if (key === 'relation') return RELATION[v] || v;
    if (key === 'overlap_fraction') return `${(v * 100).toFixed(1)}%`;
    if (key === 'level' && v === 'town') return '镇、街道 town';
    if (key === 'level' && v === 'village') return '村 village';
    if (key === 'level' && v === 'municipal') return '市级 municipal';
    if (key === 'level' && (v === 1 || v === 2)) return v === 1 ? '一级 one' : '二级 two';
    if (typeof v === 'number' && !Number.isInteger(v)) return v.toLocaleString('zh-CN', { maximumFractionDigits: 2 });
    return String(v);
  }

  function popupContent(layerId, props) {
    const title = layerTitle(layerId);
    const rows = el('table');
    for (const [k, v] of Object.entries(props)) {
      if (v == null || v === '' || k === 'name_zh' || k === 'name_en' || k === 'layer' || LONG_FIELDS.includes(k)) continue;
      rows.append(el('tr', {}, el('th', { text: FIELD[k] || k }), el('td', { text: valueText(k, v) })));
    }
    const more = LONG_FIELDS.filter((k) => props[k]).map((k) => el('p', { text: `${k}: ${props[k]}` }));
    const dot = props.category ? el('span', { class: 'dot', style: `background:${CATEGORY_COLOUR[props.category] || '#777'}` }) : null;
    return el('div', { class: 'popup', 'data-id': props.id || '' },
      el('div', { class: 'kind', text: `${title.zh} · ${title.en}` }),
      el('h3', {}, dot, props.name_zh || props.id || ''),
      el('div', { class: 'en', text: props.name_en || '' }),
      rows,
      more.length ? el('details', {}, el('summary', { text: '来源与说明 source and notes' }), ...more) : null);
  }

  function openPopup(lngLat, layerId, props) {
    if (state.popup) state.popup.remove();
    if (state.marker) { state.marker.remove(); state.marker = null; }
    const content = popupContent(layerId, props);
    state.popup = new maplibregl.Popup({ maxWidth: '340px' })
      .setLngLat(lngLat)
      .setDOMContent(content)
      .addTo(map);
    if (editable(layerId) && key() && props.id) editForm(content, layerId, props.id);
  }

  // ---- Edits --------------------------------------------------------------
  // The key lives in this tab's sessionStorage only: closing the tab
  // forgets it. Every change is a PATCH with the ETag of the version shown
  // (If-Match), so a change made meanwhile by someone else is refused
  // (412) and shown instead of overwritten.

  const KEY_STORE = 'shanshui-write-key';

  function key() {
    try { return sessionStorage.getItem(KEY_STORE) || ''; } catch { return ''; }
  }

  function editable(layerId) {
    const l = state.catalog && state.catalog.layers.find((x) => x.id === layerId);
    return Boolean(l && l.editable);
  }

  function rules(layerId) {
    const l = state.catalog && state.catalog.layers.find((x) => x.id === layerId);
    return (l && l.rules) || {};
  }

  function editStatus(text, kind) {
    const p = document.getElementById('edit-status');
    p.textContent = text;
    p.dataset.kind = kind || '';
  }

  function setupEditPanel() {
    const any = state.catalog.layers.some((l) => l.editable);
    const section = document.getElementById('edit');
    section.hidden = !any;
    if (!any) return;
    const input = document.getElementById('edit-key');
    if (key()) editStatus('已使用密钥 · A key is in use in this tab.', 'ok');
    document.getElementById('key-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const k = input.value.trim();
      if (!k) return;
      try { sessionStorage.setItem(KEY_STORE, k); } catch { /* private mode */ }
      input.value = '';
      editStatus('已使用密钥 · A key is in use in this tab: click a project to edit it.', 'ok');
    });
    document.getElementById('key-forget').addEventListener('click', () => {
      try { sessionStorage.removeItem(KEY_STORE); } catch { /* private mode */ }
      editStatus('密钥已忘记 · The key is forgotten.', '');
    });
  }

  function itemUrl(layerId, id) {
    return `${base}/collections/${encodeURIComponent(layerId)}/items/${encodeURIComponent(id)}`;
  }

  // The tiles asked for again, under URLs of their own, so that neither
  // MapLibre's tiles nor the browser's cache show the old version.
  function refreshTiles(stamp) {
    const style = map.getStyle();
    for (const [id, src] of Object.entries(style.sources)) {
      const source = map.getSource(id);
      if (src.type !== 'vector' || !source || !source.setTiles) continue;
      const tiles = (source.tiles || src.tiles || []).map((u) => {
        const url = new URL(u, location.href);
        url.searchParams.set('v', stamp);
        return decodeURI(url.href);
      });
      if (tiles.length) source.setTiles(tiles);
    }
  }

  async function patch(layerId, id, etag, body) {
    const r = await fetch(itemUrl(layerId, id), {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json', Authorization: `Bearer ${key()}`, 'If-Match': etag },
      body: JSON.stringify(body),
    });
    const json = await r.json().catch(() => null);
    return { status: r.status, etag: r.headers.get('ETag'), body: json };
  }

  function explain(res) {
    const b = res.body || {};
    if (res.status === 412) return '此项目已被他人修改，未保存 · Someone else changed this project since you opened it; nothing was saved. Their version:';
    if (res.status === 401) return `密钥无效 · ${b.message || 'the key is not valid here'}`;
    if (res.status === 403) return `无权修改 · ${b.message || 'this key may not change this layer'}`;
    if (res.status === 422) return `不符合规则 · ${(b.problems || [b.message]).join('; ')}`;
    if (res.status === 429) return `尝试过多 · ${b.message || 'too many failed attempts'}`;
    return `保存失败 · ${res.status} ${b.message || ''}`;
  }

  async function editForm(content, layerId, id) {
    const r = rules(layerId);
    const form = el('form', { class: 'edit-form' });
    const message = el('p', { class: 'edit-message' });
    const other = el('div', { class: 'edit-other' });
    const statusSelect = el('select', { name: 'status' },
      ...((r.status && r.status.one_of) || []).map((v) => el('option', { value: v, text: STATUS[v] || v })));
    const progress = el('input', { name: 'progress', type: 'number', step: '1',
      min: String((r.progress && r.progress.min) ?? 0), max: String((r.progress && r.progress.max) ?? 100) });
    const save = el('button', { type: 'submit', text: '保存 Save' });
    const move = el('button', { type: 'button', text: '拖动位置 Move', class: 'move' });
    form.append(
      el('label', {}, el('span', { text: '状态 status' }), statusSelect),
      el('label', {}, el('span', { text: '进度 progress %' }), progress),
      el('div', { class: 'buttons' }, save, move), message, other);
    content.append(form);
    // The version shown and edited: read fresh, with its ETag.
    const current = { etag: null, feature: null };
    const show = (feature, etag) => {
      current.feature = feature;
      current.etag = etag;
      const p = feature.properties || {};
      statusSelect.value = p.status || '';
      progress.value = p.progress ?? '';
      move.hidden = !feature.geometry || feature.geometry.type !== 'Point';
      form.dataset.etag = etag || '';
    };
    try {
      const res = await fetch(itemUrl(layerId, id));
      if (!res.ok) throw new Error(`${res.status}`);
      show(await res.json(), res.headers.get('ETag'));
    } catch (err) {
      message.textContent = `无法读取 · cannot read the project: ${err.message}`;
      form.querySelectorAll('button, select, input').forEach((x) => { x.disabled = true; });
      return;
    }
    const done = (res, what) => {
      other.replaceChildren();
      if (res.status === 200) {
        show(res.body, res.etag);
        message.textContent = `已保存 · ${what} saved`;
        message.dataset.kind = 'ok';
        refreshTiles(res.etag.replace(/"/g, ''));
        return;
      }
      message.textContent = explain(res);
      message.dataset.kind = 'error';
      if (res.status === 412 && res.body && res.body.current) {
        const theirs = res.body.current.properties || {};
        other.append(el('table', {},
          el('tr', {}, el('th', { text: '状态 status' }), el('td', { text: STATUS[theirs.status] || theirs.status || '' })),
          el('tr', {}, el('th', { text: '进度 progress' }), el('td', { text: theirs.progress ?? '' }))),
        el('button', { type: 'button', text: '载入他们的版本 Load their version',
          onclick: () => { show(res.body.current, res.etag); other.replaceChildren(); message.textContent = '已载入最新版本 · Their version is loaded: change it and save.'; message.dataset.kind = ''; } }));
        refreshTiles(String(Date.now()));
      }
    };
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { properties: { status: statusSelect.value } };
      body.properties.progress = progress.value === '' ? null : Number(progress.value);
      done(await patch(layerId, id, current.etag, body), '状态与进度 status and progress');
    });
    move.addEventListener('click', () => {
      // The popup would cover the marker: it goes, and comes back at the
      // new place once the move is saved.
      if (state.popup) state.popup.remove();
      const [lng, lat] = current.feature.geometry.coordinates;
      state.marker = new maplibregl.Marker({ draggable: true, color: '#d81b60' }).setLngLat([lng, lat]).addTo(map);
      state.marker.getElement().dataset.editing = id;
      editStatus('拖动标记到新位置 · Drag the marker to the project\'s new place.', '');
      state.marker.on('dragend', async () => {
        const ll = state.marker.getLngLat();
        const res = await patch(layerId, id, current.etag, { geometry: { type: 'Point', coordinates: [Number(ll.lng.toFixed(6)), Number(ll.lat.toFixed(6))] } });
        if (res.status === 200) {
          editStatus('已保存 · The new place is saved.', 'ok');
          refreshTiles(res.etag.replace(/"/g, ''));
          openPopup(ll, layerId, res.body.properties);
        } else {
          editStatus(explain(res), 'error');
          if (res.status === 412 && res.body && res.body.current) {
            state.marker.setLngLat(res.body.current.geometry.coordinates);
            current.feature = res.body.current;
            current.etag = res.etag;
          }
        }
      });
    });
  }

  // ---- Planner: projects in a zone or reserve -------------------------

  function bboxOf(geometry) {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    (function walk(c) {
      if (typeof c[0] === 'number') {
        b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
        b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
      } else c.forEach(walk);
    })(geometry.type === 'GeometryCollection' ? geometry.geometries.map((g) => g.coordinates) : geometry.coordinates);
    return b;
  }

  async function listZones() {
    const select = document.getElementById('zone-select');
    for (const id of ['reservoir_zones', 'nature_reserves']) {
      const layer = state.catalog.layers.find((l) => l.id === id);
      if (!layer || !layer.bounds) continue;
      const [w, s, e, n] = layer.bounds;
      const p = 0.01;
      const box = { type: 'Polygon', coordinates: [[[w - p, s - p], [e + p, s - p], [e + p, n + p], [w - p, n + p], [w - p, s - p]]] };
      const fc = await getJSON(`/query/within?layer=${id}&partly=true&zone=${encodeURIComponent(JSON.stringify(box))}`);
      const group = el('optgroup', { label: `${layer.title.zh} ${layer.title.en}` });
      const features = fc.features.slice().sort((a, b) => String(a.properties.id).localeCompare(String(b.properties.id)));
      for (const f of features) {
        const ref = `${id}/${f.properties.id}`;
        state.zones.set(ref, f);
        group.append(el('option', { value: ref, text: `${f.properties.name_zh || ref}  ${f.properties.name_en || ''}` }));
      }
      select.append(group);
    }
    select.addEventListener('change', () => showZone(select.value));
    const wanted = new URLSearchParams(location.search).get('zone');
    if (wanted && state.zones.has(wanted)) {
      select.value = wanted;
      showZone(wanted);
    }
  }

  function measure(p) {
    if (p.relation !== 'partly') return '';
    const parts = [];
    if (p.overlap_ha != null) parts.push(`${valueText('', p.overlap_ha)} ha`);
    if (p.overlap_m != null) parts.push(`${Math.round(p.overlap_m).toLocaleString('zh-CN')} m`);
    if (p.overlap_fraction != null) parts.push(`${(p.overlap_fraction * 100).toFixed(1)}%`);
    return parts.join(' · ');
  }

  async function showZone(ref) {
    const summary = document.getElementById('planner-summary');
    const list = document.getElementById('planner-results');
    list.replaceChildren();
    if (!ref) {
      summary.textContent = '';
      map.getSource('planner-zone').setData({ type: 'FeatureCollection', features: [] });
      map.getSource('planner-hits').setData({ type: 'FeatureCollection', features: [] });
      return;
    }
    summary.textContent = '查询中… querying';
    if (state.popup) state.popup.remove();
    let fc;
    try {
      fc = await getJSON(`/query/within?layer=projects&zone=${encodeURIComponent(ref)}&partly=true`);
    } catch (err) {
      summary.textContent = `查询失败 query failed: ${err.message}`;
      return;
    }
    const zone = state.zones.get(ref);
    state.hits = fc.features;
    map.getSource('planner-zone').setData({ type: 'FeatureCollection', features: zone ? [zone] : [] });
    map.getSource('planner-hits').setData({ type: 'FeatureCollection', features: fc.features });
    const count = (rel) => fc.features.filter((f) => f.properties.relation === rel).length;
    summary.textContent = `${fc.features.length} 个项目：${count('inside')} 个完全在内，${count('partly')} 个部分在内` +
      (count('touches') ? `，${count('touches')} 个相接` : '') +
      ` · ${fc.features.length} projects (inside ${count('inside')}, partly ${count('partly')})`;
    for (const f of fc.features) {
      const p = f.properties;
      const li = el('li', { 'data-id': p.id, 'data-relation': p.relation },
        el('span', { class: `badge ${p.relation}`, text: (RELATION[p.relation] || p.relation).split(' ')[0] }),
        el('span', { class: 'dot', style: `background:${CATEGORY_COLOUR[p.category] || '#777'}` }),
        el('span', { class: 'zh', text: p.name_zh || p.id }),
        el('div', { class: 'en', text: p.name_en || '' }),
        measure(p) ? el('div', { class: 'measure', text: `重叠 overlap ${measure(p)}` }) : null);
      li.addEventListener('click', () => {
        list.querySelectorAll('li.active').forEach((x) => x.classList.remove('active'));
        li.classList.add('active');
        const [w, s, e, n] = bboxOf(f.geometry);
        map.fitBounds([[w, s], [e, n]], { padding: 80, maxZoom: 14 });
        openPopup([(w + e) / 2, (s + n) / 2], 'projects', p);
      });
      list.append(li);
    }
    if (zone) {
      const [w, s, e, n] = bboxOf(zone.geometry);
      map.fitBounds([[w, s], [e, n]], { padding: 40 });
    }
  }

  function addPlannerLayers() {
    const empty = { type: 'FeatureCollection', features: [] };
    map.addSource('planner-zone', { type: 'geojson', data: empty });
    map.addSource('planner-hits', { type: 'geojson', data: empty });
    const firstSymbol = map.getStyle().layers.find((l) => l.type === 'symbol');
    const before = firstSymbol && firstSymbol.id;
    map.addLayer({
      id: 'planner-zone-halo', type: 'line', source: 'planner-zone',
      paint: { 'line-color': '#ffd400', 'line-width': 9, 'line-opacity': 0.55 },
    }, 'projects-outline');
    map.addLayer({
      id: 'planner-zone-line', type: 'line', source: 'planner-zone',
      paint: { 'line-color': '#1a1a1a', 'line-width': 2.5 },
    }, 'projects-outline');
    map.addLayer({
      id: 'planner-hits-glow', type: 'line', source: 'planner-hits',
      filter: ['!=', ['geometry-type'], 'Point'],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': '#ffd400', 'line-width': 11, 'line-opacity': 0.9 },
    }, 'projects-outline');
    map.addLayer({
      id: 'planner-hits-ring', type: 'circle', source: 'planner-hits',
      filter: ['==', ['geometry-type'], 'Point'],
      paint: {
        'circle-radius': 11, 'circle-color': '#ffd400', 'circle-opacity': 0.35,
        'circle-stroke-color': '#1a1a1a', 'circle-stroke-width': 2,
      },
    }, before);
  }

  // ---- What is here ---------------------------------------------------

  async function whatIsHere(lngLat) {
    const where = document.getElementById('here-where');
    const list = document.getElementById('here-results');
    const metresPerPixel = 40075016.686 * Math.cos(lngLat.lat * Math.PI / 180) / (512 * 2 ** map.getZoom());
    const tolerance = Math.max(1, Math.round(6 * metresPerPixel));
    where.textContent = `${lngLat.lng.toFixed(5)}, ${lngLat.lat.toFixed(5)} · 容差 tolerance ${tolerance} m`;
    list.replaceChildren();
    let fc;
    try {
      fc = await getJSON(`/query/at?lon=${lngLat.lng.toFixed(6)}&lat=${lngLat.lat.toFixed(6)}&tolerance=${tolerance}`);
    } catch (err) {
      list.append(el('li', { text: `查询失败 query failed: ${err.message}` }));
      return;
    }
    if (!fc.features.length) list.append(el('li', { text: '此处没有图层要素 · nothing here' }));
    for (const f of fc.features) {
      const p = f.properties;
      const t = layerTitle(p.layer);
      const li = el('li', { 'data-layer': p.layer, 'data-id': p.id },
        el('span', { class: 'badge layer', text: t.zh }),
        el('span', { class: 'zh', text: p.name_zh || p.id }),
        el('div', { class: 'en', text: `${p.name_en || ''} · ${t.en}` }));
      li.addEventListener('click', () => openPopup(lngLat, p.layer, p));
      list.append(li);
    }
  }

  // ---- Start ------------------------------------------------------------

  map.on('load', async () => {
    try {
      state.catalog = await getJSON('/catalog');
    } catch (err) {
      console.warn('catalog unavailable', err);
      state.catalog = { layers: [] };
    }
    const district = state.catalog.layers.find((l) => l.id === 'district') || state.catalog.layers[0];
    if (!hadHash && district && district.bounds) {
      const [w, s, e, n] = district.bounds;
      map.fitBounds([[w, s], [e, n]], { padding: 24, animate: false });
    }
    buildLayerList();
    addPlannerLayers();
    setupEditPanel();

    const interactive = ((map.getStyle().metadata || {})['shanshui:interactive'] || [])
      .filter((id) => map.getLayer(id));
    for (const id of interactive) {
      map.on('mouseenter', id, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', id, () => { map.getCanvas().style.cursor = ''; });
    }
    map.on('click', (e) => {
      const pad = 5;
      const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
      const visible = interactive.filter((id) => map.getLayoutProperty(id, 'visibility') !== 'none');
      const hits = map.queryRenderedFeatures(box, { layers: visible });
      if (hits.length) {
        const f = hits[0];
        openPopup(e.lngLat, f.layer['source-layer'], f.properties);
      } else if (state.popup) {
        state.popup.remove();
      }
      whatIsHere(e.lngLat);
    });
    // The attribution starts folded: the sources are long, the map is not.
    const attribution = map.getContainer().querySelector('.maplibregl-ctrl-attrib');
    if (attribution) attribution.classList.remove('maplibregl-compact-show');
    await listZones().catch((err) => console.warn('zones unavailable', err));
    document.body.dataset.ready = 'true';
  });
})();
