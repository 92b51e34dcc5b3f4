// The probes page: starts a job (POST /api/v1/probes) and polls GET /api/v1/probes/:id each second until it is
// done, drawing ping results as a uPlot chart (RTT min/avg/max per source, loss on the right axis) plus a table,
// and traceroute results as one hop table per source. ?job=ID watches an existing job (e.g. a path capture's).
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('probe-form');
  const status = $('probe-status');
  const chartBox = $('probe-chart');
  const results = $('probe-results');
  let timer = null;
  let chart = null;

  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  };
  const table = (head, rows) => el('table', { class: 'grid' },
    el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
  const ms = (v) => (v == null ? '–' : v.toFixed(v < 10 ? 2 : 1));
  const list = (v) => v.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);

  function drawPing(rs) {
    const sorted = [...rs].sort((a, b) => (a.rttAvg ?? Infinity) - (b.rttAvg ?? Infinity));
    const xs = sorted.map((_, i) => i);
    const loss = sorted.map((r) => (100 * (r.sent - r.recv)) / r.sent);
    const data = [xs, sorted.map((r) => r.rttMin ?? null), sorted.map((r) => r.rttAvg ?? null), sorted.map((r) => r.rttMax ?? null), loss];
    chartBox.replaceChildren();
    chart?.destroy();
    if (!window.uPlot || !rs.length) return;
    chart = new window.uPlot({
      width: Math.min(chartBox.clientWidth || 900, 1100), height: 260,
      scales: { x: { time: false }, loss: { range: [0, 100] } },
      axes: [
        { values: (u, splits) => splits.map((i) => sorted[i]?.host ?? ''), label: 'source (fastest first)' },
        { label: 'RTT ms' },
        { scale: 'loss', side: 1, label: 'loss %', grid: { show: false } },
      ],
      series: [{ label: 'source', value: (u, i) => sorted[i]?.host ?? '' },
        { label: 'min', stroke: '#16a34a', points: { show: true }, width: 0 },
        { label: 'avg', stroke: '#2563eb', points: { show: true, size: 7 }, width: 1 },
        { label: 'max', stroke: '#d97706', points: { show: true }, width: 0 },
        { label: 'loss %', scale: 'loss', stroke: '#dc2626', dash: [4, 3], points: { show: true } }],
    }, data, chartBox);
  }

  function render(job) {
    const rs = job.results;
    status.textContent = `job ${job.id}: ${job.status}, ${rs.length} of ${job.requested} sources answered`;
    results.replaceChildren();
    const traces = rs.filter((r) => Array.isArray(r.hops));
    const pings = rs.filter((r) => !Array.isArray(r.hops));
    if (pings.length) {
      drawPing(pings);
      results.append(table(['source', 'sent', 'recv', 'loss %', 'min ms', 'avg ms', 'max ms'],
        pings.map((r) => [r.host, r.sent, r.recv, ((100 * (r.sent - r.recv)) / r.sent).toFixed(0), ms(r.rttMin), ms(r.rttAvg), ms(r.rttMax)])));
    }
    for (const t of traces) {
      results.append(el('h3', {}, `${t.host} → ${t.target} `, el('span', { class: t.reached ? 'ok' : 'bad' }, t.reached ? 'reached' : 'not reached')));
      results.append(table(['hop', 'address', 'RTT ms', 'lost'],
        t.hops.map((h) => [h.ttl, h.ip ?? '*', h.rtt.map((x) => ms(x)).join('  ') || '–', h.lost])));
    }
  }

  async function watch(id) {
    clearTimeout(timer);
    try {
      const res = await fetch(`/api/v1/probes/${encodeURIComponent(id)}`, { credentials: 'same-origin' });
      const body = await res.json();
      if (!res.ok) { status.textContent = body.error || `error ${res.status}`; return; }
      render(body);
      if (body.status !== 'done') timer = setTimeout(() => watch(id), 1000);
    } catch (e) {
      status.textContent = `cannot read job ${id}: ${e.message}`;
      timer = setTimeout(() => watch(id), 3000);
    }
  }

  form?.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const scope = {};
    for (const k of ['provinces', 'isps', 'dcs', 'hosts']) if (list(String(f.get(k) || '')).length) scope[k] = list(String(f.get(k)));
    const body = { target: String(f.get('target') || '').trim(), method: f.get('method'), scope, sources: Number(f.get('sources') || 10) };
    if (f.get('count')) body.count = Number(f.get('count'));
    status.textContent = 'starting…';
    const res = await fetch('/api/v1/probes', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': form.dataset.csrf },
      body: JSON.stringify(body),
    });
    const out = await res.json().catch(() => ({}));
    if (res.status !== 202) { status.textContent = `refused (${res.status}): ${out.error || ''}`; return; }
    history.replaceState(null, '', `/probes?job=${encodeURIComponent(out.id)}`);
    watch(out.id);
  });

  const job = new URLSearchParams(location.search).get('job');
  if (job) watch(job);
})();
