// Parses the command line and hands over to the named command.
import { parseArgs } from 'node:util';
import { ValidationError } from '../core/errors.js';
import { commands } from './commands/index.js';

const help = (): string =>
  ['vipwatch: network-quality monitor for VIPs, probed from every province x ISP', '', 'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(15)} ${c.summary}`),
    '', 'Run `vipwatch COMMAND --help` for the options of one command.'].join('\n');

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 1;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`vipwatch: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const cmd = await entry.load();
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: !!cmd.positionals, strict: true });
  } catch (e) {
    console.error(`vipwatch ${name}: ${(e as Error).message}\nusage: ${cmd.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(`usage: ${cmd.usage}\n\n${entry.summary}`);
    return 0;
  }
  try {
    return await cmd.run(parsed.values, parsed.positionals);
  } catch (e) {
    if (e instanceof ValidationError) {
      console.error(`vipwatch ${name}: invalid input:\n${e.message}`);
      return 2;
    }
    console.error(`vipwatch ${name}: ${(e as Error).stack ?? e}`);
    return 1;
  }
}
