// The gateway's routes: task lists for agents (and, from the ingest part, their results).
import { Router } from 'express';
import type { Logger } from '../core/log.js';
import { agentAuth } from './auth.js';
import { tasksHandler, type PlanState } from './tasks.js';

export interface GatewayDeps {
  state: PlanState;
  secret: string;
  log: Logger;
}

export function gatewayRouter(deps: GatewayDeps): Router {
  const router = Router();
  const auth = agentAuth(deps.secret, deps.state);
  router.get('/api/v1/tasks', auth, tasksHandler(deps.state));
  return router;
}
