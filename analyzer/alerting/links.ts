// Links in messages (names shared with web and grafana: /tmp/shared-names.md).
export interface LinkConfig { webUrl: string; grafanaUrl: string }

const base = (u: string): string => u.replace(/\/+$/, '');
export const faultLink = (cfg: LinkConfig, uid: string): string => `${base(cfg.webUrl)}/faults/${encodeURIComponent(uid)}`;
export const vipBoardLink = (cfg: LinkConfig, vip: string): string =>
  `${base(cfg.grafanaUrl)}/d/vipwatch-vip/vipwatch-vip?var-vip=${encodeURIComponent(vip)}`;
