// One Prometheus registry per process, passed to whoever records metrics (no global default registry).
import { Registry, collectDefaultMetrics } from 'prom-client';

export const createRegistry = (): Registry => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vipwatch_' });
  return registry;
};
