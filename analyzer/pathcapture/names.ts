// Hop names from an optional prefix file (analyzer.pathNames): a YAML or JSON mapping of CIDR to name, e.g.
//   "202.97.12.0/24": CT backbone Guangzhou
// The longest matching prefix names an address. Bad entries are reported all at once with the file and entry.
import { BlockList, isIPv4 } from 'node:net';
import { parse } from 'yaml';
import { ValidationError, type Problem } from '../../core/errors.js';
import type { HopNamer } from './diagnose.js';

interface Entry { bits: number; name: string; list: BlockList }

export function prefixNamer(entries: Record<string, unknown>, file = 'prefix names'): HopNamer {
  const problems: Problem[] = [];
  const list: Entry[] = [];
  for (const [cidr, name] of Object.entries(entries)) {
    const m = /^([0-9a-fA-F.:]+)\/(\d{1,3})$/.exec(cidr);
    const bits = Number(m?.[2]);
    const v4 = m ? isIPv4(m[1]!) : false;
    if (!m || !(bits >= 0 && bits <= (v4 ? 32 : 128)) || typeof name !== 'string' || !name.trim()) {
      problems.push({ file, entry: cidr, message: `expected "CIDR": name, e.g. "202.97.12.0/24": CT backbone Guangzhou (value ${JSON.stringify(name)})` });
      continue;
    }
    const b = new BlockList();
    try {
      b.addSubnet(m[1]!, bits, v4 ? 'ipv4' : 'ipv6');
    } catch (e) {
      problems.push({ file, entry: cidr, message: (e as Error).message });
      continue;
    }
    list.push({ bits, name: name.trim(), list: b });
  }
  if (problems.length) throw new ValidationError(problems);
  list.sort((a, b) => b.bits - a.bits);
  return (ip) => list.find((e) => e.list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6'))?.name;
}

export function parsePrefixFile(text: string, file: string): HopNamer {
  let raw: unknown;
  try { raw = parse(text); } catch (e) { throw new ValidationError([{ file, message: `cannot parse: ${(e as Error).message}` }]); }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ValidationError([{ file, message: 'expected a mapping of CIDR to name' }]);
  return prefixNamer(raw as Record<string, unknown>, file);
}
