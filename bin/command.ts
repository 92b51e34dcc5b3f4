// The shape every CLI command has (bin/commands/index.ts registers them by name) and how one is run. Kept apart from
// the registry so a single-command entry (bin/vipwatch-agent.ts, the agent package) bundles that command only.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ValidationError } from '../core/errors.js';

export interface Command {
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Allows positional arguments (e.g. probe targets). */
  positionals?: boolean;
  /** Returns the exit code; long-running commands resolve when they are stopped. */
  run(values: Record<string, string | boolean | string[] | boolean[] | undefined>, positionals: string[]): Promise<number>;
}

/** Parses one command's options and runs it; `prog` names it in messages (`vipwatch agent`, `vipwatch-agent`). */
export async function runCommand(prog: string, summary: string, cmd: Command, args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: !!cmd.positionals, strict: true });
  } catch (e) {
    console.error(`${prog}: ${(e as Error).message}\nusage: ${cmd.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(`usage: ${cmd.usage}\n\n${summary}`);
    return 0;
  }
  try {
    return await cmd.run(parsed.values, parsed.positionals);
  } catch (e) {
    if (e instanceof ValidationError) {
      console.error(`${prog}: invalid input:\n${e.message}`);
      return 2;
    }
    console.error(`${prog}: ${(e as Error).stack ?? e}`);
    return 1;
  }
}
