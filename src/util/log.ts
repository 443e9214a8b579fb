/**
 * pino logger shared by the daemon, writing to keepalived's destinations:
 *  - syslog (/dev/log) with keepalived's idents and facilities (`-S`), text lines, unless `-G`;
 *  - the console (stderr) with `-l`, or always for one-shot commands and tests that build a logger bare;
 *  - a file with `-g`.
 * stderr and the file get JSON lines (pino's, with `code`s) or keepalived's text lines (`format`);
 * a terminal gets text unless JSON is asked for. When stderr is the journal (JOURNAL_STREAM) every
 * line starts with its `<N>` priority. Messages keep keepalived's text (e.g. "(VI_1) Entering MASTER
 * STATE") in `msg`, so users' log greps keep working.
 *
 * Actor host threads build their own logger; the daemon's destinations reach them through
 * KTS_LOG_DESTINATIONS, which a worker thread inherits with the environment when it is created.
 */
import * as fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { consoleLine, facility, IDENTS, isJournalStream, journalPrefix, severity, subsystemOf, syslogLine } from './log-format';

export type { Logger };

export type LogFormat = 'json' | 'text';

export interface LogOptions {
  level?: string;
  /** -l / --log-console */
  console?: boolean;
  /** -g / --log-file */
  file?: string;
  /** process / thread name, added to every line. */
  name?: string;
  /** keepalived's destinations (syslog, console only with -l); false: stderr only (one-shot commands) */
  daemon?: boolean;
  /** -S: syslog facility local0..local7 */
  facility?: number;
  /** -G: no syslog */
  noSyslog?: boolean;
  /** stderr and file layout; default: text on a terminal, JSON otherwise */
  format?: LogFormat;
  /** the syslog socket (default /dev/log; KTS_SYSLOG_SOCKET overrides, for tests) */
  syslogSocket?: string;
}

const ENV_KEY = 'KTS_LOG_DESTINATIONS';

interface Sink {
  write(s: string): void;
  flushSync?(): void;
}

interface Line {
  level: number;
  time?: string;
  msg?: string;
  [k: string]: unknown;
}

/** pino's stream: one JSON line in, each destination gets its layout. */
class Destinations {
  private readonly syslog: { send(b: Buffer): boolean } | null;
  constructor(
    private readonly stderr: { sink: Sink; format: LogFormat; journal: boolean } | null,
    private readonly file: { sink: Sink; format: LogFormat } | null,
    syslogPath: string | null,
    private readonly dashS: number | undefined,
  ) {
    this.syslog = null;
    if (syslogPath) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { SyslogSocket } = require('../io/syslog-socket') as typeof import('../io/syslog-socket');
        this.syslog = new SyslogSocket(syslogPath);
      } catch {
        this.syslog = null; // the addon is missing: the other destinations still work
      }
    }
  }

  write(json: string): void {
    const needText = !!this.syslog || this.stderr?.format === 'text' || this.file?.format === 'text' || !!this.stderr?.journal;
    let line: Line | undefined;
    if (needText) {
      try {
        line = JSON.parse(json) as Line;
      } catch {
        line = undefined;
      }
    }
    const time = line?.time ? new Date(line.time) : new Date();
    const text = (): string => consoleLine(time, String(line?.msg ?? '')) + '\n';
    if (this.stderr) {
      const body = this.stderr.format === 'text' && line ? text() : json;
      this.stderr.sink.write(this.stderr.journal && line ? journalPrefix(line.level) + body : body);
    }
    if (this.file) this.file.sink.write(this.file.format === 'text' && line ? text() : json);
    if (this.syslog && line) {
      const sub = subsystemOf(line);
      for (const part of String(line.msg ?? '').split('\n')) {
        const s = syslogLine({ facility: facility(sub, this.dashS), severity: severity(line.level), ident: IDENTS[sub], pid: process.pid, time, text: part });
        this.syslog.send(Buffer.from(s));
      }
    }
  }

  flush(cb?: (err?: Error) => void): void {
    try {
      this.file?.sink.flushSync?.();
    } catch {
      /* nothing buffered */
    }
    cb?.();
  }
}

function stderrIsJournal(): boolean {
  let st: fs.Stats | undefined;
  try {
    st = fs.fstatSync(2);
  } catch {
    st = undefined;
  }
  return isJournalStream(process.env.JOURNAL_STREAM, st);
}

let root: Logger | undefined;

export function createLogger(opts: LogOptions = {}): Logger {
  if (!isMainThread && !opts.daemon && process.env[ENV_KEY]) {
    try {
      opts = { ...(JSON.parse(process.env[ENV_KEY]!) as LogOptions), name: opts.name, level: opts.level ?? undefined };
    } catch {
      /* malformed: stderr */
    }
  }
  const base: LoggerOptions = {
    level: opts.level ?? process.env.KTS_LOG_LEVEL ?? 'info',
    base: { pid: process.pid, name: opts.name ?? 'keepalived-ts' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (opts.daemon && isMainThread) {
    const { name: _n, level: _l, ...dests } = opts;
    process.env[ENV_KEY] = JSON.stringify(dests);
  }
  const useStderr = !opts.daemon || !!opts.console;
  const format = opts.format ?? (useStderr && process.stderr.isTTY ? 'text' : 'json');
  const stderr = useStderr ? { sink: pino.destination({ fd: 2, sync: true }) as Sink, format, journal: stderrIsJournal() } : null;
  const file = opts.file ? { sink: pino.destination({ dest: opts.file, sync: false, mkdir: true }) as Sink, format: opts.format ?? 'json' } : null;
  const syslogPath = opts.daemon && !opts.noSyslog ? (opts.syslogSocket ?? process.env.KTS_SYSLOG_SOCKET ?? '/dev/log') : null;
  return pino(base, new Destinations(stderr, file, syslogPath, opts.facility));
}

/** The process-wide logger; created on first use with defaults. */
export function log(): Logger {
  root ??= createLogger();
  return root;
}

export function setLogger(l: Logger): void {
  root = l;
}
