import { pino } from 'pino';
import type { Config } from '../config/config.ts';

export type Logger = pino.Logger;

/**
 * Structured JSON logs on stdout; pretty ones when a person watches a terminal. API keys
 * are never logged: only the key's name (the audit actor) appears, as `actor`.
 */
export function createLogger(level: Config['logLevel'], destination?: pino.DestinationStream): Logger {
  if (destination) return pino({ level }, destination);
  if (process.stdout.isTTY) {
    return pino({ level, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino({ level });
}
