// Premier dashboard: plain JavaScript, no build step. Every value that
// comes from the gateway is put in the page with textContent (never as
// HTML), so recorded paths, keys and headers cannot inject markup.
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);

  function el(tag, props, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k === 'style') Object.assign(e.style, v);
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const kid of kids.flat()) {
      if (kid === undefined || kid === null) continue;
      e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return e;
  }

  // ---------- formatting ----------
  const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
  const fmtRate = (n) => (n < 10 ? n.toFixed(1) : n < 1e4 ? fmtInt(n) : fmtSI(n));
  function fmtMs(ms) {
    if (!ms) return '0';
    if (ms < 1) return Math.round(ms * 1000) + ' µs';
    if (ms < 1000) return (ms < 10 ? ms.toFixed(2) : ms.toFixed(1)) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }
  // A share: never "0.00%" for a non-zero one (2 × 503 in 100k requests
  // is 0.0020%, not nothing).
  function fmtPct(r) {
    if (!r) return '0%';
    const p = r * 100;
    if (p >= 10) return p.toFixed(1) + '%';
    if (p >= 0.1) return p.toFixed(2) + '%';
    return p.toPrecision(2) + '%';
  }
  // Rates and counts with k/M, for axes and cards: 12.5k, 3.2M.
  function fmtSI(n) {
    const a = Math.abs(n);
    if (a >= 1e6) return +(n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + 'M';
    if (a >= 1e3) return +(n / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k';
    return Number.isInteger(n) ? String(n) : +n.toFixed(a >= 10 ? 0 : 1) + '';
  }
  // Axis labels for a latency scale (values in ms): one unit for the whole
  // axis, the one the largest label needs (µs, ms or s), with the decimals
  // the tick step needs.
  function msAxis(u, splits) {
    const top = Math.max(...splits.map(Math.abs), 0);
    const [div, unit] = top >= 1000 ? [1000, ' s'] : top >= 1 ? [1, ' ms'] : [0.001, ' µs'];
    const step = splits.length > 1 ? Math.abs(splits[1] - splits[0]) / div : 1;
    let dec = 0; // the fewest decimals that write the step exactly (0.25 s, not 0.3 s)
    while (dec < 3 && Math.abs(step * 10 ** dec - Math.round(step * 10 ** dec)) > 1e-6) dec++;
    return splits.map((v) => (v / div).toFixed(dec) + unit);
  }
  // fmtMsShort writes a bound without trailing zeros: 200 µs, 5 ms, 1.5 s.
  function fmtMsShort(ms) {
    if (ms < 1) return +(ms * 1000).toFixed(1) + ' µs';
    if (ms < 1000) return +ms.toFixed(2) + ' ms';
    return +(ms / 1000).toFixed(2) + ' s';
  }
  const rateAxis = (u, splits) => splits.map(fmtSI);
  // A scale from 0 to a little over the data's largest value, so a
  // latency of 80 µs is not a flat line along the bottom of a 0–1 ms axis.
  const fromZero = (u, min, max) => [0, max > 0 ? max * 1.15 : 1];
  function fmtDur(s) {
    s = Math.floor(s);
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
  }
  const fmtTime = (t) => new Date(t).toLocaleTimeString();

  // ---------- API ----------
  // token, when given, is the dashboard token the admin just typed for a
  // call that changes the gateway: it goes in this one request's
  // Authorization header and nowhere else (no storage, no cookie).
  async function api(path, body, token) {
    const opts = { credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      opts.method = 'POST';
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    if (token) opts.headers.Authorization = 'Bearer ' + token;
    const r = await fetch('api/' + path, opts);
    if (r.status === 401 && token) return { status: 401, ok: false, data: { error: 'wrong token' } };
    if (r.status === 401) { location.reload(); throw new Error('signed out'); }
    let data = null;
    try { data = await r.json(); } catch (e) { data = { error: r.statusText }; }
    return { status: r.status, ok: r.ok, data };
  }

  // ---------- confirming a change with the token ----------
  // askToken shows the confirm dialog and resolves to the typed token, or
  // '' when the admin cancels. The value lives in the caller's local
  // variable for one call; the input is cleared at once.
  function askToken(what) {
    const dlg = $('#confirm'), input = $('#confirm-token');
    $('#confirm-title').textContent = what;
    $('#confirm-what').textContent = 'Type the dashboard token (dashboard.token) to confirm.';
    input.value = '';
    return new Promise((resolve) => {
      const done = (ok) => {
        const token = ok ? input.value : '';
        input.value = '';
        $('#confirm-form').removeEventListener('submit', onSubmit);
        $('#confirm-cancel').removeEventListener('click', onCancel);
        dlg.removeEventListener('cancel', onCancel);
        if (dlg.open) dlg.close();
        resolve(token);
      };
      const onSubmit = (e) => { e.preventDefault(); done(true); };
      const onCancel = (e) => { e.preventDefault(); done(false); };
      $('#confirm-form').addEventListener('submit', onSubmit);
      $('#confirm-cancel').addEventListener('click', onCancel);
      dlg.addEventListener('cancel', onCancel);
      dlg.showModal();
      input.focus();
    });
  }

  // Without dashboard.token the gateway serves the dashboard read-only
  // (the snapshot says so): the editor, rollback and purge are disabled
  // and the hint says what to set.
  let readOnly = false;
  function applyAccess(s) {
    const ro = !!s.read_only;
    if (ro === readOnly && $('#read-only-hint').hidden === !ro) return;
    readOnly = ro;
    const hint = $('#read-only-hint');
    hint.hidden = !ro;
    hint.textContent = ro ? (s.read_only_reason || 'read-only: set dashboard.token to edit') : '';
    ed.readOnly = ro;
    for (const id of ['#revert', '#purge-all', '#purge-rule-btn', '#purge-key-btn', '#rd-purge']) {
      $(id).disabled = ro;
      $(id).title = ro ? hint.textContent : '';
    }
    if (ro) $('#apply').disabled = true;
    if (running) loadVersions();
  }

  // ---------- tabs ----------
  let activeTab = 'overview';
  function showTab(name) {
    if (!document.getElementById('tab-' + name)) name = 'overview';
    activeTab = name;
    document.querySelectorAll('.tabs button').forEach((b) => b.classList.toggle('active', b.dataset.tab === name));
    document.querySelectorAll('.tab').forEach((t) => t.classList.toggle('active', t.id === 'tab-' + name));
    if (history.replaceState) history.replaceState(null, '', '#' + name + (name === 'routes' && selected ? '/' + encodeURIComponent(selected) : ''));
    if (name === 'config') loadConfig(false);
    if (name === 'requests') loadRequests();
    resizeCharts();
  }
  document.querySelectorAll('.tabs button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));

  // ---------- charts (uPlot) ----------
  const charts = {};
  const css = getComputedStyle(document.documentElement);
  const color = (v) => css.getPropertyValue(v).trim();
  const axis = () => ({ stroke: '#8593a3', grid: { stroke: '#222b35', width: 1 }, ticks: { stroke: '#2a3440' } });
  function chartWidth(id) {
    const e = document.getElementById(id);
    return Math.max(280, (e && e.clientWidth) || 600);
  }
  function makeChart(id, series, extra) {
    const target = document.getElementById(id);
    const opts = Object.assign({
      width: chartWidth(id), height: 210, series: [{}].concat(series),
      axes: [axis(), axis()], scales: { x: { time: true } }, legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    }, extra || {});
    // The labels uPlot drew on each axis and the points drawn, kept on the
    // chart's element (data-axes, data-points): what a reader sees, for the
    // browser test to check.
    const hooks = Object.assign({}, opts.hooks);
    hooks.drawAxes = (hooks.drawAxes || []).concat((u) => {
      target.dataset.axes = JSON.stringify(u.axes.map((a) => a._values || []));
      target.dataset.points = String(u.data[0].length);
    });
    opts.hooks = hooks;
    const data = [[]].concat(series.map(() => []));
    charts[id] = new uPlot(opts, data, target);
    return charts[id];
  }
  function resizeCharts() {
    for (const [id, c] of Object.entries(charts)) {
      const w = chartWidth(id);
      if (w !== c.width) c.setSize({ width: w, height: c.height });
    }
  }
  window.addEventListener('resize', resizeCharts);

  // Live chart of the overview: the gateway keeps the last five minutes
  // second by second; the page loads them from /api/history, then appends
  // the last seconds each snapshot carries.
  const live = { t: [], rps: [], errors: [], refused: [], p95: [] };
  const liveChart = makeChart('chart-live', [
    { label: 'req/s', stroke: color('--accent'), width: 2, fill: 'rgba(79,163,255,0.12)', value: (u, v) => v == null ? '–' : fmtRate(v) },
    { label: '5xx/s', stroke: color('--err'), width: 1.5, value: (u, v) => v == null ? '–' : fmtRate(v) },
    { label: 'refused/s (4xx by the gateway)', stroke: color('--info'), width: 1.5, value: (u, v) => v == null ? '–' : fmtRate(v) },
    { label: 'p95', stroke: color('--warn'), width: 1.5, scale: 'ms', value: (u, v) => v == null ? '–' : fmtMs(v) },
  ], { axes: [axis(), Object.assign(axis(), { size: 60, values: rateAxis }),
    Object.assign(axis(), { side: 1, scale: 'ms', grid: { show: false }, size: 70, values: msAxis })],
  scales: { x: { time: true }, y: { range: fromZero }, ms: { range: fromZero } } });

  // addSeconds appends the points newer than the chart's last one and
  // keeps the last 300 seconds.
  function addSeconds(list) {
    const lastT = live.t.length ? live.t[live.t.length - 1] : -Infinity;
    for (const p of list || []) {
      const t = Date.parse(p.time) / 1000;
      if (t <= lastT) continue;
      live.t.push(t); live.rps.push(p.requests); live.errors.push(p.errors); live.refused.push(p.refused);
      live.p95.push(p.requests ? p.p95_ms : null);
    }
    const cut = live.t.length && live.t[live.t.length - 1] - 300;
    while (live.t.length && live.t[0] <= cut) { for (const k of Object.keys(live)) live[k].shift(); }
    liveChart.setData([live.t, live.rps, live.errors, live.refused, live.p95]);
  }
  let historyLoaded = false;
  async function loadHistory() {
    const r = await api('history');
    historyLoaded = true; // without it, the snapshots' seconds still draw
    if (!r.ok) return;
    for (const k of Object.keys(live)) live[k] = [];
    addSeconds(r.data.seconds);
  }
  function pushLive(s) { if (historyLoaded) addSeconds(s.seconds); }

  // ---------- overview ----------
  // higherIsGood tells how a change is coloured.
  function setCard(id, text, stat, higherIsGood, fmt) {
    const card = document.getElementById(id);
    card.querySelector('.value').textContent = text;
    const ch = card.querySelector('.change');
    ch.textContent = '';
    if (!stat) return;
    if (stat.hour_ago === null || stat.hour_ago === undefined) { ch.textContent = 'no traffic an hour ago'; return; }
    const h = stat.hour_ago, v = stat.value;
    if (h === 0 && v === 0) { ch.textContent = 'same as an hour ago'; return; }
    const up = v >= h;
    const rel = h === 0 ? null : (v - h) / h;
    const span = el('span', { class: (up ? 'up' : 'down') + (higherIsGood ? ' good' : '') },
      (up ? '▲ ' : '▼ ') + (rel === null ? 'from 0' : Math.abs(rel * 100).toFixed(rel && Math.abs(rel) < 0.1 ? 1 : 0) + '%'));
    ch.append(span, ' vs an hour ago (', fmt(h), ')');
  }

  // statusMix is a rule's answers since start by class, with the error
  // rate of the same answers beside it: the 5xx share, as the overview's
  // error rate is (there over the last 5 minutes).
  function statusMix(st) {
    const total = st.reduce((a, b) => a + b, 0);
    const bar = el('span', { class: 'mix', title: ['other', '1xx', '2xx', '3xx', '4xx', '5xx'].map((n, i) => `${n}: ${fmtInt(st[i])}`).join('  ') + '\n(since start)' });
    if (!total) return '–';
    st.forEach((n, i) => { if (n) bar.append(el('span', { class: 's' + i, style: { width: (n / total * 100) + '%' } })); });
    return el('span', {}, bar, el('span', { class: 'mix-err' + (st[5] ? ' bad' : ''), title: 'error rate: 5xx share of the answers since start', text: st[5] ? fmtPct(st[5] / total) + ' 5xx' : '' }));
  }
  // idle: a rule with no request yet, or none in the last 10 s, shows '–'
  // rather than a 0 that reads as a measurement.
  const rateCell = (r) => (r.rps ? fmtRate(r.rps) : '–');
  const countCell = (n) => (n ? fmtInt(n) : '–');

  function renderOverview(s) {
    const o = s.overview;
    setCard('ov-requests', fmtInt(o.requests), null);
    setCard('ov-rps', fmtRate(o.rps.value), o.rps, true, fmtRate);
    setCard('ov-errors', fmtPct(o.error_rate.value), o.error_rate, false, fmtPct);
    setCard('ov-p50', fmtMs(o.p50_ms.value), o.p50_ms, false, fmtMs);
    setCard('ov-p95', fmtMs(o.p95_ms.value), o.p95_ms, false, fmtMs);
    setCard('ov-p99', fmtMs(o.p99_ms.value), o.p99_ms, false, fmtMs);
    setCard('ov-cache', fmtPct(o.cache_hit_rate.value), o.cache_hit_rate, true, fmtPct);
    setCard('ov-limited', fmtInt(o.limited.value), o.limited, false, fmtInt);
    if (o.refused) setCard('ov-refused', fmtInt(o.refused.value), o.refused, false, fmtInt);
    const tb = $('#ov-routes tbody');
    tb.replaceChildren(...s.routes.map((r) => el('tr', { class: 'clickable', onclick: () => { selectRoute(r.route); showTab('routes'); } },
      el('td', {}, el('code', { text: r.route })), el('td', { class: 'num', text: rateCell(r) }),
      el('td', { class: 'num', text: countCell(r.requests) }), el('td', {}, statusMix(r.status)),
      el('td', { class: 'num', text: r.requests ? fmtMs(r.p95_ms) : '–' }))));
    $('#version').textContent = /^[0-9]/.test(s.version) ? 'v' + s.version : s.version; // 1.4.0 → v1.4.0; dev, v1.4.0 as they are
    $('#uptime').textContent = 'up ' + fmtDur(s.uptime_seconds);
  }

  // ---------- routes ----------
  let selected = '';
  function renderRoutes(s) {
    const tb = $('#routes-table tbody');
    renderConsumers(s.consumers || []);
    if (!s.routes.length) { tb.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 14, text: 'No rules.' }))); return; }
    tb.replaceChildren(...s.routes.map((r) => {
      const lookups = r.cache.hits + r.cache.misses;
      return el('tr', { class: 'clickable' + (r.route === selected ? ' selected' : ''), onclick: () => selectRoute(r.route) },
        el('td', {}, el('code', { text: r.route })),
        el('td', { class: 'num', text: rateCell(r) }),
        el('td', { class: 'num', text: countCell(r.requests) }),
        el('td', {}, statusMix(r.status)),
        el('td', { class: 'num', text: r.requests ? fmtMs(r.p50_ms) : '–' }),
        el('td', { class: 'num', text: r.requests ? fmtMs(r.p95_ms) : '–' }),
        el('td', { class: 'num', text: r.requests ? fmtMs(r.p99_ms) : '–' }),
        el('td', { class: 'num', text: r.upstream_ms ? fmtMs(r.upstream_ms) : '–' }),
        el('td', { class: 'num', text: r.upstream_ms ? fmtMs(r.overhead_ms) : '–' }),
        el('td', { class: 'num', text: lookups + r.cache.bypass ? `${fmtInt(r.cache.hits)} / ${fmtInt(r.cache.misses)} / ${fmtInt(r.cache.bypass)}` + (lookups ? ` (${fmtPct(r.cache.hits / lookups)})` : '') : '–' }),
        missCell(r.cache),
        el('td', { class: 'num', text: r.limit.allowed + r.limit.delayed + r.limit.limited ? `${fmtInt(r.limit.allowed + r.limit.delayed)} / ${fmtInt(r.limit.limited)}` : '–' }),
        authCell(r.auth),
        el('td', { class: 'num', text: r.websockets || '–' }));
    }));
    const r = s.routes.find((x) => x.route === selected);
    if (r) renderRouteSide(r);
  }

  // authCell is the routes table's auth column: 401 and 403 answers.
  function authCell(a) {
    if (!a || !(a.admitted + a.unauthorized + a.forbidden + a.throttled)) return el('td', { class: 'num', text: '–' });
    return el('td', { class: 'num', title: `admitted ${fmtInt(a.admitted)}\nthrottled (429) ${fmtInt(a.throttled)}`,
      text: `${fmtInt(a.unauthorized)} / ${fmtInt(a.forbidden)}` });
  }

  function renderConsumers(list) {
    const tb = $('#consumers-table tbody');
    if (!list.length) { tb.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 4, text: 'No authenticated request yet.' }))); return; }
    tb.replaceChildren(...list.map((c) => el('tr', {},
      el('td', {}, el('code', { text: c.consumer })), el('td', { class: 'num', text: fmtInt(c.requests) }),
      el('td', { class: 'num', text: fmtInt(c.limited) }), el('td', { class: 'num', text: fmtInt(c.errors) }))));
  }

  // Why misses happen, as the cache reported each miss: `fwd` (why the
  // request missed) and what became of the fetched response (stored, or
  // the reason it was not).
  const fwdText = { 'uri-miss': 'no entry for the key', 'vary-miss': 'no entry for these Vary values',
    stale: 'entry expired', request: 'request said no-cache', unknown: 'not reported' };
  const fillText = { stored: 'stored', head: 'HEAD (no body)', status: 'status not cacheable', partial: 'partial content',
    'set-cookie': 'response sets a cookie', 'no-store': 'Cache-Control: no-store', private: 'Cache-Control: private',
    'no-cache': 'Cache-Control: no-cache', authorization: 'request had Authorization', cookie: 'request had Cookie', 'request-body': 'GET with a body', 'vary-star': 'Vary: *',
    'vary-limit': 'Vary names too many headers', streamed: 'streamed (size unknown)', 'too-large': 'larger than max_entry_bytes',
    expired: 'already expired', 'memory-budget': 'body budget spent (streamed)', 'no-freshness': 'no freshness information',
    unknown: 'not reported' };

  const revalText = { 'not-modified': '304: refreshed without the body', modified: 'replaced by a new response',
    'stale-if-error': 'served stale: backend failed or 5xx', failed: 'backend failed, not servable stale',
    'stale-while-revalidate': 'served stale while one request refreshes it' };

  // missCell is the routes table's "not stored" column: the commonest
  // reason a fetched response was not cached, as a share of the misses.
  function missCell(c) {
    const fills = c.fills || [], reasons = c.miss_reasons || [];
    const title = [...reasons.map((x) => `missed: ${x.reason} × ${fmtInt(x.count)}`),
      ...fills.map((x) => `${x.reason === 'stored' ? 'stored' : 'not stored: ' + x.reason} × ${fmtInt(x.count)}`)].join('\n');
    const top = fills.find((x) => x.reason !== 'stored');
    if (!c.misses) return el('td', { class: 'num', text: '–' });
    if (!top) return el('td', { class: 'num muted', title, text: 'all stored' });
    return el('td', { class: 'num', title }, el('code', { class: 'reason', text: top.reason }), ' ' + fmtPct(top.count / c.misses));
  }

  function reasonRows(list, total, names, label) {
    if (!list.length) return [];
    return [el('span', { class: 'muted sub', text: label }),
      ...list.flatMap((x) => [
        el('span', { class: 'reason-name' }, el('code', { text: x.reason }), el('span', { class: 'muted', text: ' ' + (names[x.reason] || '') })),
        el('span', { class: 'reason-bar' }, el('span', { class: 'bar' + (x.reason === 'stored' ? ' ok' : ''), style: { width: Math.round(total ? x.count / total * 160 : 0) + 'px' } }),
          el('span', { text: `${fmtInt(x.count)} (${fmtPct(total ? x.count / total : 0)})` }))])];
  }

  function renderRouteSide(r) {
    const c = r.cache;
    // A rule without a cache has no cache panel (a cache removed by a
    // reload keeps its panel while its counts remain).
    const hasCache = r.has_cache !== false || c.hits + c.misses + c.bypass > 0;
    $('#rd-cache-panel').hidden = !hasCache;
    $('#rd-purge').hidden = !hasCache;
    $('#rd-cache').replaceChildren(
      el('span', { class: 'muted', text: 'hits' }), el('span', { text: fmtInt(c.hits) }),
      el('span', { class: 'muted', text: 'misses (fetched from the backend)' }), el('span', { text: fmtInt(c.misses) }),
      el('span', { class: 'muted', text: 'bypass (not cacheable: method, no-cache)' }), el('span', { text: fmtInt(c.bypass) }),
      el('span', { class: 'muted', text: 'hit rate' }), el('span', { text: c.hits + c.misses ? fmtPct(c.hits / (c.hits + c.misses)) : '–' }),
      ...reasonRows(c.miss_reasons || [], c.misses, fwdText, 'why requests missed'),
      ...reasonRows(c.fills || [], c.misses, fillText, 'what became of the fetched response'),
      ...reasonRows(c.revalidations || [], (c.revalidations || []).reduce((n, x) => n + x.count, 0), revalText, 'what became of stale entries'));
    const keys = r.limit.top || [];
    $('#rd-topkeys').replaceChildren(...(keys.length ? keys.map((k) => el('li', {}, k.key, el('span', { text: '× ' + fmtInt(k.count) })))
      : [el('li', { class: 'muted', text: 'No request refused by a rate limit.' })]));
    const refused = (r.auth && r.auth.top_refused) || [];
    $('#rd-refused').replaceChildren(...(refused.length ? refused.map((k) => el('li', {}, k.key, el('span', { text: '× ' + fmtInt(k.count) })))
      : [el('li', { class: 'muted', text: 'No request refused by auth.' })]));
    renderSplit(r);
  }

  // renderSplit shows a split rule's groups: configured weight against
  // the share of requests each got (a box added once after the auth box).
  function renderSplit(r) {
    let box = $('#rd-split');
    if (!box) { box = el('div', { id: 'rd-split', class: 'half' }); $('#rd-refused').parentNode.after(box); }
    box.hidden = !r.split;
    if (!r.split) return;
    const w = r.split.reduce((n, g) => n + g.weight, 0);
    box.replaceChildren(el('h3', { text: 'Traffic split' }), el('div', { class: 'kv' }, ...r.split.flatMap((g) => [
      el('span', { class: 'muted', text: `group ${g.group} (weight ${fmtPct(g.weight / w)}): ${g.servers.join(', ')}` }),
      el('span', { class: 'reason-bar' }, el('span', { class: 'bar ok', style: { width: Math.round(g.share * 160) + 'px' } }),
        el('span', { text: `${fmtInt(g.requests)} (${fmtPct(g.share)})` }))])));
  }

  let rdCharts = null;
  function selectRoute(name) {
    selected = name;
    if (activeTab === 'routes' && history.replaceState) history.replaceState(null, '', '#routes/' + encodeURIComponent(name));
    $('#route-detail').hidden = false;
    $('#rd-name').textContent = name;
    if (!rdCharts) {
      rdCharts = {
        rate: makeChart('chart-rate', [
          { label: 'req/s', stroke: color('--accent'), fill: 'rgba(79,163,255,0.15)', width: 2, value: (u, v) => v == null ? '–' : fmtRate(v) },
          { label: '5xx/s', stroke: color('--err'), width: 2, value: (u, v) => v == null ? '–' : fmtRate(v) }],
        { axes: [axis(), Object.assign(axis(), { size: 60, values: rateAxis })], scales: { x: { time: true }, y: { range: fromZero } } }),
        pct: makeChart('chart-pct', [
          { label: 'p50', stroke: color('--ok'), width: 1.5, value: (u, v) => v == null ? '–' : fmtMs(v) },
          { label: 'p95', stroke: color('--warn'), width: 1.5, value: (u, v) => v == null ? '–' : fmtMs(v) },
          { label: 'p99', stroke: color('--err'), width: 1.5, value: (u, v) => v == null ? '–' : fmtMs(v) }], msChart()),
        split: makeChart('chart-split', [
          { label: 'backend', stroke: color('--info'), width: 2, value: (u, v) => v == null ? '–' : fmtMs(v) },
          { label: 'gateway overhead', stroke: color('--accent'), width: 2, value: (u, v) => v == null ? '–' : fmtMs(v) }], msChart()),
        heat: makeHeatmap('chart-heat'),
      };
    }
    if (last) renderRoutes(last);
    openStream();
    resizeCharts();
  }

  // msChart: a latency chart's axes, labelled in the unit that fits.
  const msChart = () => ({ axes: [axis(), Object.assign(axis(), { size: 70, values: msAxis })], scales: { x: { time: true }, y: { range: fromZero } } });

  let heat = { slots: [], bands: [] };
  // heatColor is a cell's colour for n requests when the busiest cell has
  // max: the heatmap and its legend use the same scale (logarithmic).
  function heatColor(n, max) {
    const a = max > 0 ? Math.log1p(n) / Math.log1p(max) : 0;
    return `rgba(255, ${Math.round(200 - 150 * a)}, ${Math.round(80 - 60 * a)}, ${0.25 + 0.75 * a})`;
  }
  function renderHeatLegend(max) {
    const lg = $('#heat-legend');
    if (!max) { lg.replaceChildren(el('span', { class: 'muted', text: 'no requests in the last 15 minutes' })); return; }
    const steps = [1, Math.round(Math.sqrt(max)), max].filter((v, i, a) => v >= 1 && a.indexOf(v) === i);
    lg.replaceChildren(el('span', { class: 'muted', text: 'requests in a 10 s slot and latency band:' }),
      ...steps.map((v) => el('span', { class: 'heat-step' }, el('span', { class: 'heat-swatch', style: { background: heatColor(v, max) } }), fmtSI(v))));
  }
  // edgeLabel labels the heatmap's edge v: band v-1 ends (and band v
  // starts) at bands[v-1]; every other edge is labelled, so they fit.
  function edgeLabel(v) {
    const b = heat.bands;
    if (!b.length || v % 2 || v > b.length) return '';
    return v === 0 ? '0' : fmtMsShort(b[v - 1]);
  }
  function makeHeatmap(id) {
    return makeChart(id, [{ label: 'requests', stroke: 'transparent', paths: () => null, points: { show: false },
      value: (u, v, si, i) => { if (i == null || !heat.slots[i]) return '–'; return fmtInt(heat.slots[i].requests); } }], {
      // The y scale counts bands (band j spans j..j+1), whatever the data.
      scales: { x: { time: true }, y: { auto: true, range: () => [0, Math.max(1, heat.bands.length + 1)] } },
      axes: [axis(), Object.assign(axis(), { size: 70, splits: () => heat.bands.map((_, i) => i).concat(heat.bands.length),
        values: (u, splits) => splits.map(edgeLabel) })],
      hooks: { draw: [(u) => {
        const ctx = u.ctx; let max = 0;
        for (const s of heat.slots) for (const n of s.heat) max = Math.max(max, n);
        if (!max) return;
        ctx.save();
        for (const s of heat.slots) {
          const t = Date.parse(s.time) / 1000;
          const x0 = u.valToPos(t, 'x', true), x1 = u.valToPos(t + 10, 'x', true);
          s.heat.forEach((n, j) => {
            if (!n) return;
            const y0 = u.valToPos(j, 'y', true), y1 = u.valToPos(j + 1, 'y', true);
            ctx.fillStyle = heatColor(n, max);
            ctx.fillRect(x0, y1, Math.max(1, x1 - x0 - 1), Math.max(1, y0 - y1 - 1));
          });
        }
        ctx.restore();
      }] },
    });
  }

  function renderRouteDetail(d) {
    if (!rdCharts || d.route !== selected) return;
    const t = d.slots.map((s) => Date.parse(s.time) / 1000);
    const ifAny = (s, v) => (s.requests ? v : null);
    const per = d.slot_seconds || 10;
    rdCharts.rate.setData([t, d.slots.map((s) => s.requests / per), d.slots.map((s) => s.errors / per)]);
    rdCharts.pct.setData([t, d.slots.map((s) => ifAny(s, s.p50_ms)), d.slots.map((s) => ifAny(s, s.p95_ms)), d.slots.map((s) => ifAny(s, s.p99_ms))]);
    rdCharts.split.setData([t, d.slots.map((s) => ifAny(s, s.upstream_ms)), d.slots.map((s) => ifAny(s, s.overhead_ms))]);
    heat = { slots: d.slots, bands: d.bands_ms };
    rdCharts.heat.setData([t, d.slots.map(() => 0)]);
    renderHeatLegend(Math.max(0, ...d.slots.flatMap((s) => s.heat)));
  }

  $('#rd-purge').addEventListener('click', () => purge({ rule: selected }));

  // ---------- TLS ----------
  function renderTLS(s) {
    const t = s.tls;
    $('#ov-tls').hidden = !t;
    if (!t) return;
    const row = (label, value, bad) => el('tr', {}, el('td', { text: label }), el('td', { class: 'num' + (bad ? ' bad' : ''), text: value }));
    const rows = [];
    t.handshakes.filter((h) => h.count).forEach((h) => rows.push(row(`handshakes TLS ${h.version} ${h.alpn}`, fmtInt(h.count))));
    t.failures.filter((f) => f.count).forEach((f) => rows.push(row(`failed handshakes: ${f.reason}`, fmtInt(f.count), true)));
    t.certificates.forEach((c) => rows.push(row(`certificate ${c.name} expires in`,
      c.expires_in_seconds < 0 ? 'expired' : (c.expires_in_seconds / 86400).toFixed(1) + ' days', c.expires_in_seconds < 14 * 86400)));
    if (!rows.length) rows.push(el('tr', { class: 'empty' }, el('td', { colspan: 2, text: 'No handshakes yet.' })));
    $('#tls-table tbody').replaceChildren(...rows);
  }

  // ---------- backends ----------
  function renderBackends(s) {
    const tb = $('#backends-table tbody');
    if (!s.backends.length) { tb.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 7, text: 'No backends (plugin mode).' }))); }
    else tb.replaceChildren(...s.backends.map((b) => el('tr', {},
      el('td', {}, el('code', { text: b.url })),
      el('td', {}, el('span', { class: 'dot ' + (b.healthy && !b.ejected ? 'ok' : 'bad') }), b.healthy ? 'healthy' : 'unhealthy',
        b.ejected ? el('span', { class: 'tag open', text: 'ejected', title: 'out of rotation by passive health after consecutive failures' }) : '',
        b.health_checked ? '' : el('span', { class: 'muted', text: ' (no active check)' }),
        b.ejections ? el('span', { class: 'muted', text: ' ' + fmtInt(b.ejections) + (b.ejections === 1 ? ' ejection' : ' ejections') }) : ''),
      el('td', {}, b.breaker ? el('span', { class: 'tag ' + b.breaker, text: b.breaker }) : el('span', { class: 'muted', text: '–' })),
      el('td', { class: 'num', text: fmtInt(b.in_flight) }),
      el('td', { class: 'num', text: fmtInt(b.requests) }),
      el('td', { class: 'num', text: fmtInt(b.failures) }),
      el('td', { class: 'num', text: fmtMs(b.latency_ms) }))));
    const ev = (s.health_events || []).slice().reverse();
    $('#health-events').replaceChildren(...(ev.length ? ev.map((e) => el('li', {},
      el('span', { class: 'muted', text: fmtTime(e.time) + '  ', 'data-time': e.time }), el('code', { text: e.backend }), ' ',
      el('span', { class: 'dot ' + (e.healthy && !e.ejected ? 'ok' : 'bad') }), e.healthy ? 'healthy' : 'unhealthy',
      e.ejected ? el('span', { class: 'tag open', text: 'ejected' }) : '',
      e.breaker ? el('span', { class: 'tag ' + e.breaker, text: 'breaker ' + e.breaker }) : ''))
      : [el('li', { class: 'muted', text: 'No changes yet.' })]));
  }

  // ---------- recent requests ----------
  let rqPage = 1;
  async function loadRequests() {
    const q = new URLSearchParams({ page: rqPage, per_page: 25 });
    if ($('#rq-route').value) q.set('route', $('#rq-route').value);
    const st = $('#rq-status').value.trim().toLowerCase();
    if (/^([1-5]\d\d|[1-5]xx)$/.test(st)) q.set('status', st);
    if ($('#rq-id').value.trim()) q.set('request_id', $('#rq-id').value.trim());
    const r = await api('requests?' + q);
    const tb = $('#requests-table tbody');
    if (!r.ok) { tb.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 12, text: r.data.error }))); return; }
    const p = r.data, pages = Math.max(1, Math.ceil(p.total / p.per_page));
    $('#rq-page').textContent = `page ${p.page} of ${pages} · ${fmtInt(p.total)} matching of the last ${fmtInt(p.kept)}`;
    $('#rq-prev').disabled = p.page <= 1;
    $('#rq-next').disabled = p.page >= pages;
    if (!p.requests.length) { tb.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: 12, text: 'No requests match.' }))); return; }
    tb.replaceChildren(...p.requests.map((q) => el('tr', {},
      el('td', { text: fmtTime(q.time) }),
      el('td', { text: q.method }),
      q.rewritten ? el('td', { class: 'path' }, q.path, el('span', { class: 'muted', text: ' → ' + q.rewritten, title: 'rewritten: the path the backend got' }))
        : el('td', { class: 'path', text: q.path }),
      el('td', {}, el('code', { text: q.route })),
      el('td', { class: 'num' }, el('span', { class: 'st c' + Math.floor(q.status / 100), text: q.status })),
      el('td', { class: 'num', text: fmtMs(q.duration_ms) }),
      el('td', { class: 'num', text: q.upstream_ms ? fmtMs(q.upstream_ms) : '–' }),
      el('td', {}, q.backend ? el('code', { text: q.backend })
        : el('span', { class: 'tag gateway', text: 'gateway', title: 'answered by the gateway itself (refused, redirected, or no backend could answer)' })),
      el('td', {}, q.cache ? el('span', { class: 'tag ' + q.cache, text: q.cache }) : ''),
      el('td', {}, q.limit ? el('span', { class: 'tag ' + q.limit, text: q.limit, title: q.limit_key || '' }) : ''),
      el('td', {}, q.consumer ? el('code', { text: q.consumer }) : q.auth ? el('span', { class: 'tag limited', text: q.auth }) : ''),
      el('td', {}, q.request_id ? el('code', { text: q.request_id }) : ''))));
  }
  $('#rq-route').addEventListener('change', () => { rqPage = 1; loadRequests(); });
  $('#rq-id').addEventListener('input', () => { rqPage = 1; loadRequests(); });
  $('#rq-status').addEventListener('input', () => {
    const v = $('#rq-status').value.trim();
    const ok = /^([1-5]\d\d|[1-5]xx)?$/i.test(v);
    $('#rq-status').classList.toggle('invalid', !ok);
    if (ok) { rqPage = 1; loadRequests(); }
  });
  $('#rq-prev').addEventListener('click', () => { rqPage = Math.max(1, rqPage - 1); loadRequests(); });
  $('#rq-next').addEventListener('click', () => { rqPage++; loadRequests(); });

  function fillRouteSelect(sel, routes, allLabel) {
    const names = routes.map((r) => r.route);
    const have = Array.from(sel.options).map((o) => o.value).filter((v) => v !== '');
    if (have.join('\n') === names.join('\n')) return;
    const cur = sel.value;
    sel.replaceChildren(...(allLabel ? [el('option', { value: '', text: allLabel })] : []), ...names.map((n) => el('option', { value: n, text: n })));
    if (names.includes(cur)) sel.value = cur;
  }

  // ---------- configuration ----------
  const ed = $('#editor'), gutter = $('#gutter');
  let running = null;    // {file, text, version}
  let lastCheck = null;  // last validation
  let errLines = new Set();

  function renderGutter() {
    const n = ed.value.split('\n').length;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= n; i++) {
      frag.append(errLines.has(i) ? el('span', { class: 'err', text: i }) : String(i), '\n');
    }
    gutter.replaceChildren(frag);
    gutter.scrollTop = ed.scrollTop;
  }
  ed.addEventListener('scroll', () => { gutter.scrollTop = ed.scrollTop; });
  ed.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      ed.setRangeText('  ', ed.selectionStart, ed.selectionEnd, 'end');
      onEdit();
    }
  });

  async function loadConfig(force) {
    if (running && !force) return;
    const r = await api('config');
    if (!r.ok) return;
    running = r.data;
    $('#cfg-file').textContent = running.file;
    $('#cfg-version').textContent = `version ${running.version} · loaded ${fmtTime(running.loaded_at)}`;
    ed.value = running.text;
    lastCheck = null; errLines = new Set();
    renderGutter();
    renderCheck(null);
    loadVersions();
  }

  let checkTimer = 0, checkSeq = 0;
  function onEdit() {
    renderGutter();
    $('#apply').disabled = true;
    setPill('busy', 'checking…');
    clearTimeout(checkTimer);
    checkTimer = setTimeout(validate, 250);
  }
  ed.addEventListener('input', onEdit);

  async function validate() {
    const seq = ++checkSeq, text = ed.value;
    const r = await api('config/validate', { text });
    if (seq !== checkSeq) return; // a newer edit is being checked
    lastCheck = r.data;
    renderCheck(r.data);
  }

  function setPill(kind, text) {
    const p = $('#editor-status');
    p.className = 'pill ' + kind;
    p.textContent = text;
  }

  function problemList(ul, list) {
    ul.replaceChildren(...list.map((p) => el('li', { onclick: () => jumpTo(p.line, p.col) },
      el('span', { class: 'pos', text: p.line ? `${p.line}:${p.col}` : '–' }), p.message)));
  }

  function renderCheck(v) {
    const edited = running && ed.value !== running.text;
    if (!v) {
      setPill('ok', 'running config');
      problemList($('#editor-errors'), []); problemList($('#editor-warnings'), []);
      $('#diff-summary').replaceChildren('No edits.'); $('#diff-lines').replaceChildren();
      $('#apply').disabled = true;
      return;
    }
    errLines = new Set(v.errors.filter((p) => p.line).map((p) => p.line));
    renderGutter();
    problemList($('#editor-errors'), v.errors);
    problemList($('#editor-warnings'), v.warnings || []);
    if (!v.ok) setPill('bad', v.errors.length === 1 ? '1 error' : `${v.errors.length} errors`);
    else setPill('ok', edited ? 'valid' : 'valid · no edits');
    $('#apply').disabled = readOnly || !v.ok || !edited;
    renderDiff(v);
  }

  function renderDiff(v) {
    const sum = $('#diff-summary');
    const d = v.diff || {};
    const part = (label, list) => (list && list.length ? el('span', {}, el('b', { text: label + ': ' }), list.join(', ')) : null);
    if (!v.ok) sum.replaceChildren('Fix the errors to see what would change.');
    else if (d.same) sum.replaceChildren('No change to the running config.');
    else sum.replaceChildren(...[part('rules added', d.added), part('rules removed', d.removed), part('rules changed', d.changed), part('sections changed', d.sections)].filter(Boolean));
    const lines = v.lines || [];
    const out = [];
    // Show changed lines with two lines of context; fold the rest.
    const keep = lines.map((l, i) => l.op !== '=' || lines.slice(Math.max(0, i - 2), i + 3).some((x) => x.op !== '='));
    let folded = 0;
    lines.forEach((l, i) => {
      if (!keep[i]) { folded++; return; }
      if (folded) { out.push(el('div', { class: 'gap', text: `  … ${folded} unchanged lines` })); folded = 0; }
      out.push(el('div', { class: l.op === '+' ? 'add' : l.op === '-' ? 'del' : '', text: (l.op === '=' ? ' ' : l.op) + ' ' + l.text }));
    });
    if (folded && out.length) out.push(el('div', { class: 'gap', text: `  … ${folded} unchanged lines` }));
    $('#diff-lines').replaceChildren(...(lines.some((l) => l.op !== '=') ? out : []));
  }

  function jumpTo(line, col) {
    if (!line) return;
    const lines = ed.value.split('\n');
    let off = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
    off += Math.max(0, (col || 1) - 1);
    ed.focus();
    ed.setSelectionRange(off, off);
    ed.scrollTop = Math.max(0, (line - 5) * 19);
  }

  function result(id, ok, text) {
    const r = document.getElementById(id);
    r.className = 'result ' + (ok ? 'ok' : 'bad');
    r.textContent = text;
  }

  $('#apply').addEventListener('click', async () => {
    $('#apply').disabled = true;
    const token = await askToken('Apply this config');
    if (!token) { $('#apply').disabled = readOnly; return; }
    const r = await api('config/apply', { text: ed.value, base_version: running ? running.version : 0 }, token);
    if (r.status === 200) {
      // The stream may report the new version before loadConfig returns:
      // it is this apply's, not someone else's change.
      if (running) running = Object.assign({}, running, { version: r.data.version, text: ed.value });
      result('apply-result', !r.data.error, r.data.error ? `Applied as version ${r.data.version}, but: ${r.data.error}` : `Applied version ${r.data.version}: hot-reloaded and saved to ${running.file}.`);
      await loadConfig(true);
    } else {
      result('apply-result', false, r.data.error || ('HTTP ' + r.status));
      if (r.data.errors) renderCheck(Object.assign({ lines: [] }, r.data));
      $('#apply').disabled = readOnly;
    }
  });
  $('#revert').addEventListener('click', () => { if (running) { ed.value = running.text; errLines = new Set(); renderGutter(); renderCheck(null); } });

  async function loadVersions() {
    const r = await api('config/versions');
    if (!r.ok) return;
    $('#versions-table tbody').replaceChildren(...r.data.versions.map((v) => {
      const btn = v.current ? el('span', { class: 'tag closed', text: 'running' }) : el('button', { class: 'small', text: 'Roll back', disabled: readOnly, title: readOnly ? $('#read-only-hint').textContent : undefined });
      if (!v.current) {
        btn.addEventListener('click', async () => {
          const token = await askToken(`Roll back to version ${v.version}`);
          if (!token) return;
          const res = await api('config/rollback', { version: v.version }, token);
          if (res.ok && running) running = Object.assign({}, running, { version: res.data.version, text: ed.value });
          result('apply-result', res.ok && !res.data.error, res.ok ? `Rolled back to version ${v.version} (now version ${res.data.version}).` : (res.data.error || 'rollback failed'));
          await loadConfig(true);
        });
      }
      return el('tr', {}, el('td', { text: v.version }), el('td', { text: new Date(v.applied_at).toLocaleString(), 'data-time': v.applied_at }),
        el('td', { text: v.origin }), el('td', { class: 'num', text: v.rules }), el('td', {}, btn));
    }));
  }

  // ---------- cache purge ----------
  async function purge(what) {
    const token = await askToken(what.all ? 'Purge the whole cache' : what.rule ? `Purge the cache of ${what.rule}` : 'Purge one cache key');
    if (!token) return;
    const r = await api('cache/purge', what, token);
    result('purge-result', r.ok, r.ok ? `Purged ${r.data.removed} entries.` : `Purge refused: ${r.data.error}`);
    if (activeTab === 'routes') alertInline(r);
  }
  function alertInline(r) { $('#rd-purge').title = r.ok ? `purged ${r.data.removed}` : r.data.error; $('#rd-purge').textContent = r.ok ? 'Purged' : 'Purge: ' + r.data.error; }
  $('#purge-all').addEventListener('click', () => purge({ all: true }));
  $('#purge-rule-btn').addEventListener('click', () => purge({ rule: $('#purge-rule').value }));
  $('#purge-key-btn').addEventListener('click', () => { const k = $('#purge-key').value.trim(); if (k) purge({ key: k }); });

  // ---------- live stream ----------
  let last = null, es = null, streamRoute = null;
  function onSnapshot(s) {
    last = s;
    applyAccess(s);
    renderOverview(s);
    pushLive(s);
    renderRoutes(s);
    renderBackends(s);
    renderTLS(s);
    fillRouteSelect($('#rq-route'), s.routes, 'all');
    fillRouteSelect($('#purge-rule'), s.routes, null);
    if (activeTab === 'requests' && $('#rq-live').checked && rqPage === 1) loadRequests();
    if (running && s.config_version !== running.version && ed.value === running.text) loadConfig(true);
    else if (running && s.config_version !== running.version) result('apply-result', false, `The running config changed (version ${s.config_version}). Discard edits to load it.`);
  }
  function openStream() {
    const want = selected || '';
    if (es && streamRoute === want && es.readyState !== EventSource.CLOSED) return;
    if (es) es.close();
    streamRoute = want;
    es = new EventSource('api/stream' + (want ? '?route=' + encodeURIComponent(want) : ''));
    es.addEventListener('open', () => {
      $('#conn').className = 'conn on'; $('#conn').textContent = 'live';
      if (historyLoaded) loadHistory(); // a reconnect: fill the seconds missed meanwhile
    });
    es.addEventListener('error', () => {
      $('#conn').className = 'conn off'; $('#conn').textContent = 'reconnecting…';
      if (es.readyState === EventSource.CLOSED) setTimeout(() => { api('snapshot').then(() => openStream(), () => {}); }, 2000);
    });
    es.addEventListener('snapshot', (e) => onSnapshot(JSON.parse(e.data)));
    es.addEventListener('route', (e) => renderRouteDetail(JSON.parse(e.data)));
  }

  // ---------- which rule? (GET api/explain, as `premier -explain`) ----------
  // Self-contained: builds its own panel at the end of the Routes tab.
  (() => {
    const method = el('input', { value: 'GET', size: 7, 'aria-label': 'method' });
    const url = el('input', { placeholder: 'https://api.example.com/users/42', size: 40, 'aria-label': 'URL' });
    const ip = el('input', { placeholder: '127.0.0.1', size: 14, 'aria-label': 'client IP' });
    const hdrs = el('input', { placeholder: 'X-Canary: 1; X-Other: v', size: 28, 'aria-label': 'headers' });
    const out = el('div', { class: 'kv', id: 'explain-result' });
    const line = (k, v) => el('div', {}, el('b', { text: k + ' ' }), v);
    async function run(ev) {
      ev.preventDefault();
      const q = new URLSearchParams({ method: method.value, url: url.value, client_ip: ip.value });
      for (const h of hdrs.value.split(';')) if (h.trim()) q.append('header', h.trim());
      const r = await api('explain?' + q.toString());
      out.replaceChildren();
      if (!r.ok) { out.append(line('error', r.data.error)); return; }
      const e = r.data;
      out.append(line('request', `${e.method} ${e.url} (host ${e.host}, path ${e.path}, client ${e.client_ip})`));
      if (e.answered) { out.append(line('answered by the gateway', `${e.answered.status || ''} ${e.answered.reason}`)); return; }
      out.append(line('rule', e.rule ? `${e.rule}: ${e.pattern}` : 'none: default_features'));
      for (const k of e.skipped || []) out.append(line('  skipped', `${k.rule} ${k.pattern}: ${k.reason}${k.name ? ' ' + k.name : ''} does not match`));
      out.append(line('policies', (e.policies || []).map((p) => p.name + (p.detail ? ` (${p.detail})` : '')).join(' → ') || 'none'));
      out.append(line('backends', (e.backends || []).join(', ') + (e.lb ? ` (${e.lb})` : '') || 'none'));
      if (e.cache_key) out.append(line('cache key', e.cache_key));
      if (e.rate_limit_key) out.append(line('rate-limit key', e.rate_limit_key));
      for (const n of e.notes || []) out.append(line('note', n));
    }
    const form = el('form', { id: 'explain-form', onsubmit: run }, method, ' ', url, ' ', ip, ' ', hdrs, ' ', el('button', { class: 'small', type: 'submit', text: 'Explain' }));
    $('#tab-routes').append(el('div', { class: 'panel', id: 'explain' },
      el('h2', {}, 'Which rule? ', el('span', { class: 'muted', text: 'the rule a request would match, and why not the ones before it' })), form, out));
  })();

  // The formatters, for the browser test to check against known values.
  window.premierFormat = Object.freeze({ fmtSI, fmtPct, fmtMs, msAxis, rateAxis });

  const hash = decodeURIComponent((location.hash || '#overview').slice(1));
  showTab(hash.split('/')[0]);
  if (hash.startsWith('routes/')) selectRoute(hash.slice('routes/'.length));
  loadHistory().then(openStream, openStream);
})();
