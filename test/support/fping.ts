// fping as the reference for ICMP tests and the RTT benchmark: its -C output parsed, and the median.
// fping 5 times replies with the kernel's receive stamp (SO_TIMESTAMPNS) and stamps requests just before sendto().

export interface PerProbe { rtts: number[]; lost: number }

/** fping -C output (stderr), or the same format from our helpers: "ADDR : 0.051 - 0.048 ..." -> per address */
export function parseFping(text: string): Map<string, PerProbe> {
  const out = new Map<string, PerProbe>();
  for (const line of text.trim().split('\n')) {
    if (!line.includes(' : ')) continue;
    const [addr, rest] = line.split(' : ');
    const fields = rest!.trim().split(/\s+/);
    out.set(addr!.trim(), { rtts: fields.filter((f) => f !== '-').map(Number), lost: fields.filter((f) => f === '-').length });
  }
  return out;
}

export const median = (xs: number[]): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
