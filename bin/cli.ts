// Parses the command line and hands over to the named command.
import { parseArgs } from 'node:util';
import { runCommand } from './command.js';
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
  return runCommand(`vipwatch ${name}`, entry.summary, await entry.load(), rest);
}
