// Files vipwatch keeps are its own: password hashes, the token secret, measurements and mail. Directories it makes
// are 0700 and files 0600, whatever the umask.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

/** Creates DIR (and missing parents) 0700; a directory that already exists keeps its mode. */
export function privateDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  // mkdir's mode is masked by the umask; 0700 has nothing the usual umasks take away, but say it anyway
  chmodSync(dir, PRIVATE_DIR);
}

/** Creates FILE empty and 0600 when it does not exist; an existing one is made 0600. */
export function privateFile(file: string): void {
  if (existsSync(file)) chmodSync(file, PRIVATE_FILE);
  else closeSync(openSync(file, 'a', PRIVATE_FILE));
}
