// The agent's Prometheus metrics, on the registry it is given, and the small server that shows them.
import { createServer } from 'node:http';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResultRecord } from '../core/model.js';

export function agentMetrics(registry: Registry) {
  const r = [registry];
  return {
    probes: new Counter({ name: 'vipwatch_agent_probes_total', help: 'probes sent, by method and outcome (reply|lost)', labelNames: ['method', 'outcome'], registers: r }),
    skipped: new Counter({ name: 'vipwatch_agent_probes_skipped_total', help: 'probes not sent because the global rate cap was reached', registers: r }),
    late: new Counter({ name: 'vipwatch_agent_probes_late_total', help: 'probe slots passed over because the agent woke more than an interval late (a stalled or suspended process): after a stall each target gets one probe, not its backlog', registers: r }),
    targets: new Gauge({ name: 'vipwatch_agent_targets', help: 'targets being probed now', registers: r }),
    probing: new Gauge({ name: 'vipwatch_agent_probing', help: '1 while the agent probes, 0 when it stopped (empty or too old task list)', registers: r }),
    listAge: new Gauge({ name: 'vipwatch_agent_task_list_age_seconds', help: 'seconds since the gateway last confirmed the task list', registers: r }),
    pulls: new Counter({ name: 'vipwatch_agent_task_pulls_total', help: 'task list pulls by outcome (new|unchanged|failed)', labelNames: ['outcome'], registers: r }),
    posts: new Counter({ name: 'vipwatch_agent_result_posts_total', help: 'result batch posts by HTTP status (or "error")', labelNames: ['status'], registers: r }),
    postedRecords: new Counter({ name: 'vipwatch_agent_result_records_total', help: 'records in result batch posts, by HTTP status (or "error"); status 200: delivered', labelNames: ['status'], registers: r }),
    spoolBatches: new Gauge({ name: 'vipwatch_agent_spool_batches', help: 'batches waiting in the on-disk spool', registers: r }),
    spoolDropped: new Counter({ name: 'vipwatch_agent_spool_dropped_batches_total', help: 'spooled batches dropped, by reason (full|expired|rejected)', labelNames: ['reason'], registers: r }),
    spoolDroppedRecords: new Counter({ name: 'vipwatch_agent_spool_dropped_records_total', help: 'records in dropped spool batches, by reason', labelNames: ['reason'], registers: r }),
    spoolCorrupt: new Counter({ name: 'vipwatch_agent_spool_corrupt_files_total', help: 'spool files that could not be read and were set aside', registers: r }),
  };
}

export type AgentMetrics = ReturnType<typeof agentMetrics>;

/**
 * Adds a finished minute's probes to vipwatch_agent_probes_total: summed by method first, so it is a few inc() calls
 * a minute, not two a record (each one hashes its labels: ~5,000 a minute at 2,500 targets).
 */
export function countProbes(metrics: AgentMetrics, records: readonly ResultRecord[]): void {
  const sums = new Map<string, { sent: number; recv: number }>();
  for (const r of records) {
    const s = sums.get(r.method);
    if (s) {
      s.sent += r.sent;
      s.recv += r.recv;
    } else {
      sums.set(r.method, { sent: r.sent, recv: r.recv });
    }
  }
  for (const [method, s] of sums) {
    metrics.probes.inc({ method, outcome: 'reply' }, s.recv);
    metrics.probes.inc({ method, outcome: 'lost' }, s.sent - s.recv);
  }
}

/**
 * Serves /metrics and /healthz on node:http: two fixed routes need no web framework, and express would be most of
 * the agent package's size and memory. Resolves once listening (port 0 picks a free one).
 */
export async function serveMetrics(registry: Registry, port: number, host: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => { res.writeHead(200, { 'Content-Type': registry.contentType }).end(text); },
        (e: Error) => { res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics: ${e.message}\n`); },
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
