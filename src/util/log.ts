/**
 * pino logger shared by the daemon. JSON lines by default; pretty when `-l` is given on a TTY.
 * Transition messages keep keepalived's text (e.g. "(VI_1) Entering MASTER STATE") in `msg`,
 * so users' log greps keep working.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: string;
  /** -l / --log-console: pretty output when stderr is a terminal. */
  console?: boolean;
  /** -g / --log-file */
  file?: string;
  /** process / thread name, added to every line. */
  name?: string;
}

let root: Logger | undefined;

export function createLogger(opts: LogOptions = {}): Logger {
  const base: LoggerOptions = {
    level: opts.level ?? process.env.KTS_LOG_LEVEL ?? 'info',
    base: { pid: process.pid, name: opts.name ?? 'keepalived-ts' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.file) {
    return pino(base, pino.destination({ dest: opts.file, sync: false, mkdir: true }));
  }
  if (opts.console && process.stderr.isTTY) {
    try {
      require.resolve('pino-pretty');
      return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
    } catch {
      /* pino-pretty missing: plain JSON */
    }
  }
  return pino(base, pino.destination({ fd: 2, sync: true }));
}

/** The process-wide logger; created on first use with defaults. */
export function log(): Logger {
  root ??= createLogger();
  return root;
}

export function setLogger(l: Logger): void {
  root = l;
}
