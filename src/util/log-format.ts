/**
 * keepalived's log line layouts, pure: the syslog datagram (what glibc's syslog(3) sends for
 * keepalived: `<PRI>Mmm dd HH:MM:SS Ident[pid]: text`), the console line (`Www Mmm dd HH:MM:SS YYYY: text`,
 * keepalived -l) and the journal's `<N>` prefix. Severity and facility numbers are syslog(3)'s.
 */

/** syslog(3) severities for pino's levels: fatal → crit, error → err, warn → warning, info → info, debug/trace → debug. */
export function severity(pinoLevel: number): number {
  if (pinoLevel >= 60) return 2;
  if (pinoLevel >= 50) return 3;
  if (pinoLevel >= 40) return 4;
  if (pinoLevel >= 30) return 6;
  return 7;
}

export type Subsystem = 'main' | 'vrrp' | 'checker';

/** keepalived's syslog idents, one per process: the parent, the VRRP child, the checker child. */
export const IDENTS: Record<Subsystem, string> = { main: 'Keepalived', vrrp: 'Keepalived_vrrp', checker: 'Keepalived_healthcheckers' };

const LOG_DAEMON = 3;
const LOG_LOCAL0 = 16;

/**
 * keepalived's facility: LOG_DAEMON by default, where the VRRP child uses LOG_LOCAL1 and the checker
 * child LOG_LOCAL2; `-S N` makes every process use localN.
 */
export function facility(sub: Subsystem, dashS?: number): number {
  if (dashS !== undefined) return LOG_LOCAL0 + dashS;
  return sub === 'vrrp' ? LOG_LOCAL0 + 1 : sub === 'checker' ? LOG_LOCAL0 + 2 : LOG_DAEMON;
}

/**
 * Which of keepalived's processes would have written this line. keepalived-ts is one process: lines of
 * the process life (start, stop, configuration) are the parent's, checker lines the checker child's,
 * everything else (instances, trackers, notifies, netlink, actors) the VRRP child's. `sub` on the line wins.
 */
export function subsystemOf(line: { sub?: unknown; kind?: unknown; msg?: unknown }): Subsystem {
  if (line.sub === 'main' || line.sub === 'vrrp' || line.sub === 'checker') return line.sub;
  if (line.kind === 'checker') return 'checker';
  const msg = typeof line.msg === 'string' ? line.msg : '';
  if (/^(Starting|Stopping|Stopped) [Kk]eepalived|^Configuration .* cannot be used|^daemon is already running/.test(msg)) return 'main';
  return 'vrrp';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const p2 = (n: number): string => String(n).padStart(2, '0');
const hms = (d: Date): string => `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;

/** One syslog datagram as glibc's syslog(3) formats it (local time, day padded with a space). */
export function syslogLine(opts: { facility: number; severity: number; ident: string; pid: number; time: Date; text: string }): string {
  const d = opts.time;
  const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${hms(d)}`;
  return `<${opts.facility * 8 + opts.severity}>${stamp} ${opts.ident}[${opts.pid}]: ${opts.text}`;
}

/** keepalived's console/file line: `Tue Dec  1 05:51:11 2026: text`. */
export function consoleLine(time: Date, text: string): string {
  const d = time;
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${hms(d)} ${d.getFullYear()}: ${text}`;
}

/** sd-daemon(3)'s prefix for stderr read by journald: `<3>` for an error. */
export function journalPrefix(pinoLevel: number): string {
  return `<${severity(pinoLevel)}>`;
}

/**
 * JOURNAL_STREAM is `device:inode` of the journal's stream; stderr is the journal when its fstat
 * matches (systemd.exec(5): a redirected stderr keeps the variable but not the identity).
 */
export function isJournalStream(env: string | undefined, stat: { dev: number | bigint; ino: number | bigint } | undefined): boolean {
  if (!env || !stat) return false;
  const m = /^(\d+):(\d+)$/.exec(env.trim());
  return !!m && BigInt(m[1]) === BigInt(stat.dev) && BigInt(m[2]) === BigInt(stat.ino);
}
