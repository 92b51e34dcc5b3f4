// Live board: applies each server-sent snapshot to every cell (grid, by-DC and map tiles share keys), the open-fault
// panel and the root-fault banner, without reloading; switches views; a click on a cell opens its drill-down.
(() => {
  const state = document.getElementById('live-state');
  const setState = (s, text) => { state.dataset.state = s; state.textContent = text; };
  const cells = new Map();
  for (const e of document.querySelectorAll('[data-key]')) {
    const list = cells.get(e.dataset.key) ?? [];
    list.push(e);
    cells.set(e.dataset.key, list);
  }
  const metric = document.getElementById('map-metric');
  const mapIsp = document.getElementById('map-isp');

  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    Object.assign(e, props);
    for (const c of children) e.append(c);
    return e;
  };

  function paintTile(a) {
    a.className = a.className.replace(/\blv-\w+/, `lv-${a.dataset[metric.value]}`);
    // slow (above its own baseline) is a latency mark: shown unless the map is coloured by loss alone
    a.classList.toggle('slow', a.dataset.sl === '1' && metric.value !== 'll');
    a.classList.toggle('partial', a.dataset.pt === '1');
  }

  function applyCell(e, c) {
    e.title = c.t;
    e.querySelector('.rtt').textContent = c.r;
    e.querySelector('.loss').textContent = c.l;
    if (e.classList.contains('tile')) {
      Object.assign(e.dataset, { lv: c.lv, ll: c.ll, rl: c.rl, sl: c.sl ? '1' : '0', pt: c.pt ? '1' : '0' });
      return paintTile(e);
    }
    e.className = `cell lv-${c.lv}${c.sl ? ' slow' : ''}${c.pt ? ' partial' : ''}`;
    const strip = e.querySelector('.strip');
    if (strip.children.length !== c.s.length) strip.replaceChildren(...c.s.map(() => el('i')));
    c.s.forEach((lv, i) => { strip.children[i].className = `lv-${lv}`; });
  }

  function applyFaults(faults) {
    const list = document.getElementById('live-faults');
    if (!faults.length) list.replaceChildren(el('li', { className: 'none muted', textContent: 'No open faults.' }));
    else list.replaceChildren(...faults.map((f) => {
      const meta = `since ${f.since}${f.children ? ` · ${f.children} child${f.children === 1 ? '' : 'ren'}` : ''}${f.suppressed ? ' · suppressed' : ''}`;
      return el('li', { className: f.suppressed ? 'is-suppressed' : '' },
        el('a', { href: f.href }, el('span', { className: `type type-${f.type}`, textContent: f.type }), ` ${f.key}`),
        ' ', el('span', { className: 'muted', textContent: meta }),
        el('div', { className: 'scope-text', textContent: f.scope }));
    }));
    const banner = document.getElementById('fault-banner');
    const root = faults.find((f) => !f.suppressed);
    banner.hidden = !root;
    if (root) {
      const more = `since ${root.since}${root.children ? ` · ${root.children} child fault${root.children === 1 ? '' : 's'} folded under it` : ''} · ${root.scope}`;
      banner.replaceChildren('Open root fault: ', el('a', { href: root.href, textContent: root.title }), ' ', el('span', { className: 'muted', textContent: more }));
    } else banner.replaceChildren();
  }

  function apply(p) {
    document.getElementById('board-end').textContent = p.end;
    for (const [lv, n] of Object.entries(p.counts)) {
      const b = document.querySelector(`#board-counts b[data-level=${lv}]`);
      if (b) b.textContent = String(n);
    }
    for (const [key, c] of Object.entries(p.cells)) for (const e of cells.get(key) ?? []) applyCell(e, c);
    applyFaults(p.faults);
    document.body.dataset.updated = String(Date.now());
  }

  // views: grid, by destination DC, map (remembered in the URL's hash)
  function show(view) {
    for (const b of document.querySelectorAll('.view-tabs button[data-view]')) b.classList.toggle('active', b.dataset.view === view);
    for (const s of document.querySelectorAll('section.board-view')) s.hidden = s.dataset.view !== view;
    document.querySelector('.map-controls').hidden = view !== 'map';
    document.body.dataset.view = view;
    if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
  }
  for (const b of document.querySelectorAll('.view-tabs button[data-view]')) b.addEventListener('click', () => show(b.dataset.view));
  show(['grid', 'dc', 'map'].includes(location.hash.slice(1)) ? location.hash.slice(1) : 'grid');
  const showIsp = () => { for (const t of document.querySelectorAll('#tile-map .tile')) t.hidden = t.dataset.isp !== mapIsp.value; };
  mapIsp.addEventListener('change', showIsp);
  metric.addEventListener('change', () => document.querySelectorAll('#tile-map .tile').forEach(paintTile));
  showIsp();
  document.addEventListener('click', (ev) => {
    const td = ev.target instanceof Element && ev.target.closest('td.cell[data-href]');
    if (td) location.href = td.dataset.href;
  });

  const es = new EventSource('/board/events');
  es.addEventListener('open', () => setState('live', 'live'));
  es.addEventListener('error', () => setState('down', 'reconnecting…'));
  es.addEventListener('board', (ev) => {
    setState('live', `live · updated ${new Date().toISOString().slice(11, 19)}Z`);
    apply(JSON.parse(ev.data));
  });
})();
