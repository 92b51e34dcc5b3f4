// Structured logs (pino) to stderr, so commands that print JSON keep stdout clean.
import { pino, type Logger } from 'pino';

export type { Logger };

export const createLogger = (level = 'info', name = 'vipwatch'): Logger => pino({ name, level }, pino.destination(2));
