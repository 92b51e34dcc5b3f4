// Live board: applies each server-sent snapshot to the matrix cells and the open-fault panel, without reloading.
(() => {
  const state = document.getElementById('live-state');
  const setState = (s, text) => { state.dataset.state = s; state.textContent = text; };
  const cells = new Map([...document.querySelectorAll('td.cell[data-key]')].map((td) => [td.dataset.key, td]));

  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    Object.assign(e, props);
    for (const c of children) e.append(c);
    return e;
  };

  function applyCell(td, c) {
    td.className = `cell lv-${c.lv}`;
    td.title = c.t;
    td.querySelector('.rtt').textContent = c.r;
    td.querySelector('.loss').textContent = c.l;
    const strip = td.querySelector('.strip');
    if (strip.children.length !== c.s.length) strip.replaceChildren(...c.s.map(() => el('i')));
    c.s.forEach((lv, i) => { strip.children[i].className = `lv-${lv}`; });
  }

  function applyFaults(faults) {
    const list = document.getElementById('live-faults');
    if (!faults.length) return list.replaceChildren(el('li', { className: 'none muted', textContent: 'No open faults.' }));
    list.replaceChildren(...faults.map((f) => {
      const meta = `since ${f.since}${f.children ? ` · ${f.children} child${f.children === 1 ? '' : 'ren'}` : ''}${f.suppressed ? ' · suppressed' : ''}`;
      return el('li', { className: f.suppressed ? 'is-suppressed' : '' },
        el('a', { href: f.href }, el('span', { className: `type type-${f.type}`, textContent: f.type }), ` ${f.key}`),
        ' ', el('span', { className: 'muted', textContent: meta }),
        el('div', { className: 'scope-text', textContent: f.scope }));
    }));
  }

  function apply(p) {
    document.getElementById('board-end').textContent = p.end;
    for (const [lv, n] of Object.entries(p.counts)) {
      const b = document.querySelector(`#board-counts b[data-level=${lv}]`);
      if (b) b.textContent = String(n);
    }
    for (const [key, c] of Object.entries(p.cells)) {
      const td = cells.get(key);
      if (td) applyCell(td, c);
    }
    applyFaults(p.faults);
    document.body.dataset.updated = String(Date.now());
  }

  const es = new EventSource('/board/events');
  es.addEventListener('open', () => setState('live', 'live'));
  es.addEventListener('error', () => setState('down', 'reconnecting…'));
  es.addEventListener('board', (ev) => {
    setState('live', `live · updated ${new Date().toISOString().slice(11, 19)}Z`);
    apply(JSON.parse(ev.data));
  });
})();
