// The agent's Prometheus metrics, on the registry it is given.
import { Counter, Gauge, type Registry } from 'prom-client';

export function agentMetrics(registry: Registry) {
  const r = [registry];
  return {
    probes: new Counter({ name: 'vipwatch_agent_probes_total', help: 'probes sent, by method and outcome (reply|lost)', labelNames: ['method', 'outcome'], registers: r }),
    skipped: new Counter({ name: 'vipwatch_agent_probes_skipped_total', help: 'probes not sent because the global rate cap was reached', registers: r }),
    targets: new Gauge({ name: 'vipwatch_agent_targets', help: 'targets being probed now', registers: r }),
    probing: new Gauge({ name: 'vipwatch_agent_probing', help: '1 while the agent probes, 0 when it stopped (empty or too old task list)', registers: r }),
    listAge: new Gauge({ name: 'vipwatch_agent_task_list_age_seconds', help: 'seconds since the gateway last confirmed the task list', registers: r }),
    pulls: new Counter({ name: 'vipwatch_agent_task_pulls_total', help: 'task list pulls by outcome (new|unchanged|failed)', labelNames: ['outcome'], registers: r }),
    posts: new Counter({ name: 'vipwatch_agent_result_posts_total', help: 'result batch posts by HTTP status (or "error")', labelNames: ['status'], registers: r }),
    spoolBatches: new Gauge({ name: 'vipwatch_agent_spool_batches', help: 'batches waiting in the on-disk spool', registers: r }),
    spoolDropped: new Counter({ name: 'vipwatch_agent_spool_dropped_batches_total', help: 'spooled batches dropped, by reason (full|expired|rejected)', labelNames: ['reason'], registers: r }),
    spoolDroppedRecords: new Counter({ name: 'vipwatch_agent_spool_dropped_records_total', help: 'records in dropped spool batches, by reason', labelNames: ['reason'], registers: r }),
    spoolCorrupt: new Counter({ name: 'vipwatch_agent_spool_corrupt_files_total', help: 'spool files that could not be read and were set aside', registers: r }),
  };
}

export type AgentMetrics = ReturnType<typeof agentMetrics>;
