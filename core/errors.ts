// Errors that carry every problem found at once, each naming file, entry and field.
import { readFileSync } from 'node:fs';

export interface Problem { file: string; entry?: string; field?: string; message: string }

export const formatProblem = (p: Problem): string =>
  [p.file, p.entry, p.field].filter(Boolean).join(': ') + `: ${p.message}`;

export class ValidationError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ValidationError';
  }
}

/** Reads a user-supplied file; a failure is a ValidationError naming the file (not a stack trace). */
export function readInputFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValidationError([{ file, message: `cannot read: ${(e as Error).message}` }]);
  }
}

/** Renders a value for an error message without letting a huge one flood the log. */
export const show = (v: unknown): string => {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    // hostile input nested deeper than the stack (or cyclic): describe it rather than fail the request
    s = Array.isArray(v) ? '[array too deep to show]' : '[value too deep to show]';
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};
