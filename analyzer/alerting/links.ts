// Links in messages (names shared with web and grafana: /tmp/shared-names.md): the web UI's own pages, and the
// Grafana VIP board only where alerting.grafanaUrl is set (the demo runs no Grafana).
export interface LinkConfig { webUrl: string; grafanaUrl?: string | undefined }

const base = (u: string): string => u.replace(/\/+$/, '');
export const faultLink = (cfg: LinkConfig, uid: string): string => `${base(cfg.webUrl)}/faults/${encodeURIComponent(uid)}`;
/** The web UI's VIP page: latency and loss per ISP over time. */
export const vipPageLink = (cfg: LinkConfig, vip: string): string => `${base(cfg.webUrl)}/vips/${encodeURIComponent(vip)}`;
/** The Grafana VIP board; null without alerting.grafanaUrl. */
export const vipBoardLink = (cfg: LinkConfig, vip: string): string | null =>
  (cfg.grafanaUrl ? `${base(cfg.grafanaUrl)}/d/vipwatch-vip/vipwatch-vip?var-vip=${encodeURIComponent(vip)}` : null);
