// Minimal InfluxDB 1.x HTTP calls for the board tests: line protocol in, InfluxQL answers out.

export interface Series { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }

export async function influxQuery(url: string, db: string, q: string): Promise<Series[]> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=ms`, { method: 'POST', body: new URLSearchParams({ q }) });
  const body = await res.json() as { error?: string; results?: Array<{ error?: string; series?: Series[] }> };
  const err = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || err) throw new Error(`InfluxDB answered ${res.status} ${err ?? ''} to: ${q}`);
  return body.results?.flatMap((r) => r.series ?? []) ?? [];
}

export async function influxWrite(url: string, db: string, rp: string, lines: string[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 10_000) {
    const res = await fetch(`${url}/write?db=${encodeURIComponent(db)}&rp=${encodeURIComponent(rp)}&precision=ms`, {
      method: 'POST', body: lines.slice(i, i + 10_000).join('\n'),
    });
    if (res.status !== 204) throw new Error(`InfluxDB write answered ${res.status}: ${await res.text()}`);
  }
}
