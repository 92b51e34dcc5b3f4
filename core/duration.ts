// "90s", "30m", "1h", "2d" -> milliseconds: the durations of the configuration (alerting, maintenance windows).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(s);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(s)} (expected e.g. 90s, 30m, 1h, 2d)`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}
