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
  return pino({ level }, bufferedStdout());
}

/**
 * Lines gathered into one write of ~4 KB instead of a write each (a write per request was
 * 12 % of a trivial request's CPU: bench/RESULTS.md), and flushed at least every
 * FLUSH_MS so a quiet server's lines still show at once. pino flushes the rest when the
 * process exits; a kill -9 can lose the last FLUSH_MS of lines, never an audit entry
 * (those are rows).
 */
function bufferedStdout(): pino.DestinationStream {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  // With a callback, flush reports a closed stream to it instead of throwing.
  setInterval(() => stream.flush(() => {}), FLUSH_MS).unref();
  return stream;
}

const FLUSH_MS = 200;
