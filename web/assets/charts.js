// Draws every <figure class="chart"> on the page with uPlot from the JSON spec inside it (built by web/chart-data.ts):
// latency on the left axis, loss (dashed) on the right, bands between "fastest" and "slowest" series, fault
// episodes as shaded spans, start / detected / end as vertical marks, a latency baseline as a dotted line.
(() => {
  const charts = [];
  const fmtMs = (v) => (v == null ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);
  const fmtPct = (v) => (v == null ? '–' : `${v < 10 && v > 0 ? v.toFixed(1) : Math.round(v)}%`);

  function overlay(spec) {
    return (u) => {
      const { ctx } = u;
      const { top, height, left, width } = u.bbox;
      ctx.save();
      for (const s of spec.spans) {
        const x0 = Math.max(left, u.valToPos(s.from, 'x', true));
        const x1 = Math.min(left + width, u.valToPos(s.to, 'x', true));
        if (x1 <= x0) continue;
        ctx.fillStyle = 'rgba(220, 38, 38, 0.10)';
        ctx.fillRect(x0, top, x1 - x0, height);
      }
      ctx.font = `${11 * devicePixelRatio}px sans-serif`;
      for (const m of spec.marks) {
        const x = u.valToPos(m.at, 'x', true);
        if (x < left || x > left + width) continue;
        ctx.strokeStyle = m.color;
        ctx.lineWidth = 1.5 * devicePixelRatio;
        ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
        ctx.fillStyle = m.color;
        ctx.fillText(m.label, x + 3 * devicePixelRatio, top + 12 * devicePixelRatio);
      }
      for (const b of spec.baselines) {
        const y = u.valToPos(b.value, 'rtt', true);
        if (y < top || y > top + height) continue;
        ctx.strokeStyle = '#6b7385';
        ctx.lineWidth = 1 * devicePixelRatio;
        ctx.setLineDash([2 * devicePixelRatio, 3 * devicePixelRatio]);
        ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + width, y); ctx.stroke();
        ctx.fillStyle = '#6b7385';
        ctx.fillText(b.label, left + 4 * devicePixelRatio, y - 4 * devicePixelRatio);
      }
      ctx.restore();
    };
  }

  const pad = (n) => String(n).padStart(2, '0');
  // 24-hour labels in the chart's zone; the date is added where the day changes (and on the first label)
  function timeLabel(tzDate, ts, splits) {
    const d = tzDate(ts);
    const step = splits.length > 1 ? splits[1] - splits[0] : 60;
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}${step < 60 ? `:${pad(d.getSeconds())}` : ''}`;
    const first = ts === splits[0];
    const dayStart = d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0;
    return first || dayStart || step >= 86400 ? `${hm}\n${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` : hm;
  }

  function alpha(hex, a) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }

  function build(fig) {
    const spec = JSON.parse(fig.querySelector('script.chart-data').textContent);
    const target = fig.querySelector('.chart-canvas');
    const height = Number(target.dataset.height) || 260;
    const bands = [];
    const series = [{ label: 'time' }];
    spec.series.forEach((s, i) => {
      if (s.bandTo !== undefined) bands.push({ series: [s.bandTo + 1, i + 1], fill: alpha(s.color, 0.14) });
      series.push({
        label: s.label,
        scale: s.axis,
        stroke: s.width === 0 ? 'transparent' : s.color,
        width: s.width ?? 1.5,
        dash: s.dash ? [5, 4] : undefined,
        spanGaps: false,
        points: { show: false },
        value: (u, v) => (s.axis === 'loss' ? fmtPct(v) : fmtMs(v)),
      });
    });
    const tzDate = (ts) => uPlot.tzDate(new Date(ts * 1000), spec.timeZone);
    const hasLoss = spec.series.some((s) => s.axis === 'loss');
    const opts = {
      width: Math.max(320, target.clientWidth),
      height,
      tzDate,
      series,
      bands,
      scales: { x: { time: true }, rtt: { auto: true, range: (u, min, max) => [0, Math.max(10, max * 1.1)] }, loss: { range: [0, 100] } },
      axes: [
        { values: (u, splits) => splits.map((ts) => timeLabel(tzDate, ts, splits)) },
        { scale: 'rtt', label: 'latency (ms)', values: (u, vals) => vals.map((v) => `${v}`) , size: 50 },
        ...(hasLoss ? [{ scale: 'loss', side: 1, label: 'loss (%)', grid: { show: false }, values: (u, vals) => vals.map((v) => `${v}%`), size: 50 }] : []),
      ],
      legend: { live: true },
      cursor: { points: { show: false } },
      hooks: { draw: [overlay(spec)] },
    };
    const data = [spec.x, ...spec.series.map((s) => s.values)];
    const chart = new uPlot(opts, data, target);
    // band edges are drawn but not listed: their values show in the tooltip of the median
    const rows = target.querySelectorAll('.u-legend tr.u-series');
    spec.series.forEach((s, i) => { if (s.hidden && rows[i + 1]) rows[i + 1].classList.add('band-edge'); });
    fig.dataset.drawn = String(spec.x.length);
    charts.push({ chart, target });
  }

  for (const fig of document.querySelectorAll('figure.chart')) build(fig);
  // for tests and benchmarks: the charts and their data
  window.vipwatchCharts = charts.map((c) => c.chart);
  let pending = null;
  window.addEventListener('resize', () => {
    clearTimeout(pending);
    pending = setTimeout(() => { for (const c of charts) c.chart.setSize({ width: Math.max(320, c.target.clientWidth), height: c.chart.height }); }, 100);
  });
  document.body.dataset.charts = String(charts.length);
})();
