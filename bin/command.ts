// The shape every CLI command has; bin/commands/index.ts registers them by name.
import type { ParseArgsConfig } from 'node:util';

export interface Command {
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Allows positional arguments (e.g. probe targets). */
  positionals?: boolean;
  /** Returns the exit code; long-running commands resolve when they are stopped. */
  run(values: Record<string, string | boolean | string[] | boolean[] | undefined>, positionals: string[]): Promise<number>;
}
