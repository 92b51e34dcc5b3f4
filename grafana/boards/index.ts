// The boards, by uid: one file per board.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type { BoardOptions } from '../parts.js';
import { UID } from '../parts.js';
import { dcIspBoard } from './dc-isp.js';
import { nationalBoard } from './national.js';
import { vipBoard } from './vip.js';

export const boards: Record<string, (o: BoardOptions) => dashboard.Dashboard> = {
  [UID.national]: nationalBoard,
  [UID.vip]: vipBoard,
  [UID.dcIsp]: dcIspBoard,
};
