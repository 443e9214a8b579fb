/**
 * The command line as one table: every option of keepalived(8) 2.2.7 plus keepalived-ts's own.
 * The parser (GNU getopt_long's rules, as keepalived's core/main.c uses them), `-h` and the man
 * page's OPTIONS section are all derived from OPTIONS below.
 */
import type { DaemonOptions } from './daemon/index';

export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';

/** Everything the command line sets: the daemon's options plus the one-shot modes. */
export interface CliOptions extends DaemonOptions {
  configTest: boolean;
  /** -t=FILE: where the diagnostics go instead of stderr */
  configTestLog?: string;
  dumpConf: boolean;
  json: boolean;
  signum?: string;
  version: boolean;
  help: boolean;
  dumpState: boolean;
  format: 'json' | 'text';
  /** control-client commands and probes (src/observe/client.ts) */
  client?: 'reload' | 'stats' | 'health' | 'ready';
  readyInstance?: string;
  /** -T: everything after it goes to genhash */
  genhash?: string[];
  /** -u: the umask the process sets before anything else */
  umask?: number;
  /** -s: run in this network namespace (overrides net_namespace) */
  namespace?: string;
  /** One line each for options accepted but not acted upon, and for keepalived's soft complaints. */
  warnings: string[];
}

export class UsageError extends Error {}

type Arg = 'none' | 'required' | 'optional';

export interface OptionSpec {
  long: string;
  short?: string;
  arg: Arg;
  /** name of the value in -h and the man page */
  value?: string;
  help: string;
  /** keepalived's option or ours */
  origin: 'keepalived' | 'keepalived-ts';
  /** for an option keepalived-ts accepts without acting on it: what keepalived would do, and why we do not */
  ignored?: string;
  apply?: (o: CliOptions, v: string | undefined) => void;
}

/** syslog facilities -S accepts (keepalived: 0-7, local0-7, user, daemon). */
export const LOG_FACILITIES = ['local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7', 'user', 'daemon'] as const;
export type LogFacility = (typeof LOG_FACILITIES)[number];

/** keepalived's -S: a number 0-7 or local0-7 is LOG_LOCALn; `user` and `daemon` by name; anything else is refused with a message. */
export function parseFacility(v: string): LogFacility | undefined {
  const m = /^(?:local)?([0-7])$/.exec(v);
  if (m) return `local${m[1]}` as LogFacility;
  return v === 'user' || v === 'daemon' ? v : undefined;
}

/** keepalived's set_umask: strtoll base 0 (0x.. hex, 0.. octal, decimal), only permission bits. */
export function parseUmask(v: string): number | undefined {
  const t = v.trim();
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^0[0-7]*$/.test(t)) n = parseInt(t, 8);
  else if (/^[+]?[1-9]\d*$/.test(t)) n = parseInt(t, 10);
  else return undefined;
  return n >= 0 && (n & ~0o777) === 0 ? n : undefined;
}

const KA = 'keepalived' as const;
const OURS = 'keepalived-ts' as const;

export const OPTIONS: readonly OptionSpec[] = [
  { long: 'use-file', short: 'f', arg: 'required', value: 'FILE', origin: KA, help: `Use the specified configuration file (default ${DEFAULT_CONFIG})`, apply: (o, v) => { o.configFile = v!; } },
  { long: 'vrrp', short: 'P', arg: 'none', origin: KA, help: 'Only run with VRRP subsystem', apply: (o) => { o.vrrpOnly = true; } },
  { long: 'check', short: 'C', arg: 'none', origin: KA, help: 'Only run with Health-checker subsystem', apply: (o) => { o.checkOnly = true; } },
  { long: 'no_bfd', short: 'B', arg: 'none', origin: KA, help: "Don't run BFD subsystem", ignored: 'would not start its BFD child process; keepalived-ts has no BFD subsystem to start' },
  { long: 'all', arg: 'none', origin: KA, help: 'Force all child processes to run, even if have no configuration', ignored: 'would start every child process even with nothing configured for it; keepalived-ts starts what the configuration needs' },
  { long: 'log-console', short: 'l', arg: 'none', origin: KA, help: 'Log messages to local console', apply: (o) => { o.logConsole = true; } },
  { long: 'log-detail', short: 'D', arg: 'none', origin: KA, help: 'Detailed log messages (twice: extra detail)', apply: (o) => { o.logDetail = true; } },
  {
    long: 'log-facility', short: 'S', arg: 'required', value: '([0-7]|local[0-7]|user|daemon)', origin: KA, help: 'Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)',
    apply: (o, v) => {
      const f = parseFacility(v!);
      if (!f) o.warnings.push(`Invalid log facility '${v}'`);
      else if (f.startsWith('local')) o.logFacility = Number(f.slice(5));
      else o.warnings.push(`-S ${f}: keepalived-ts's syslog lines use local0-local7 or keepalived's defaults; -S ${f} is ignored [E_CLI_UNSUPPORTED]`);
    },
  },
  { long: 'no-syslog', short: 'G', arg: 'none', origin: KA, help: "Don't log via syslog", apply: (o) => { o.noSyslog = true; } },
  { long: 'log-file', short: 'g', arg: 'optional', value: 'FILE', origin: KA, help: 'Also log to FILE (default keepalived.log)', apply: (o, v) => { o.logFile = v || 'keepalived.log'; } },
  { long: 'flush-log-file', arg: 'none', origin: KA, help: 'Flush the log file after each line', ignored: 'would flush its log file after each line; keepalived-ts writes each line as it comes' },
  {
    long: 'umask', short: 'u', arg: 'required', value: 'MASK', origin: KA, help: 'umask for file creation (in numeric form)',
    apply: (o, v) => {
      const m = parseUmask(v!);
      if (m === undefined) o.warnings.push(`Invalid --umask option ${v}`);
      else o.umask = m;
    },
  },
  { long: 'release-vips', short: 'X', arg: 'none', origin: KA, help: 'Drop VIP on transition from signal.', apply: (o) => { o.releaseVips = true; } },
  { long: 'dont-release-vrrp', short: 'V', arg: 'none', origin: KA, help: "Don't remove VRRP VIPs and VROUTEs on daemon stop", apply: (o) => { o.dontReleaseVrrp = true; } },
  { long: 'dont-release-ipvs', short: 'I', arg: 'none', origin: KA, help: "Don't remove IPVS topology on daemon stop", apply: (o) => { o.dontReleaseIpvs = true; } },
  { long: 'dont-respawn', short: 'R', arg: 'none', origin: KA, help: "Don't respawn child processes (a crashed actor stops the daemon)", apply: (o) => { o.dontRespawn = true; } },
  { long: 'dont-fork', short: 'n', arg: 'none', origin: KA, help: "Don't fork the daemon process", apply: (o) => { o.dontFork = true; } },
  { long: 'dump-conf', short: 'd', arg: 'none', origin: KA, help: 'Dump the configuration data (with --json: the typed model as JSON)', apply: (o) => { o.dumpConf = true; } },
  { long: 'pid', short: 'p', arg: 'required', value: 'FILE', origin: KA, help: 'Use specified pidfile for parent process', apply: (o, v) => { o.pidFile = v; } },
  { long: 'vrrp_pid', short: 'r', arg: 'required', value: 'FILE', origin: KA, help: 'Use specified pidfile for VRRP child process', apply: (o, v) => { o.vrrpPidFile = v; } },
  { long: 'genhash', short: 'T', arg: 'none', origin: KA, help: 'Enter into genhash utility mode (this should be the first option used).' },
  { long: 'checkers_pid', short: 'c', arg: 'required', value: 'FILE', origin: KA, help: 'Use specified pidfile for checkers child process', apply: (o, v) => { o.checkersPidFile = v; } },
  { long: 'address-monitoring', short: 'a', arg: 'none', origin: KA, help: 'Report all address additions/deletions notified via netlink', apply: (o) => { o.addressMonitoring = true; } },
  { long: 'bfd_pid', short: 'b', arg: 'required', value: 'FILE', origin: KA, help: 'Use specified pidfile for BFD child process', ignored: 'would write its BFD child process id to this file; keepalived-ts has no BFD process' },
  { long: 'snmp', short: 'x', arg: 'none', origin: KA, help: 'Enable SNMP subsystem', ignored: 'would register with an SNMP master agent (AgentX); keepalived-ts has no SNMP subsystem' },
  { long: 'snmp-agent-socket', short: 'A', arg: 'required', value: 'FILE', origin: KA, help: 'Use the specified socket for master agent', ignored: 'would connect to the SNMP master agent at this socket; keepalived-ts has no SNMP subsystem' },
  { long: 'core-dump', short: 'm', arg: 'none', origin: KA, help: 'Produce core dump if terminate abnormally', ignored: 'would raise its core-size limit so an abnormal end leaves a core dump; keepalived-ts does not' },
  { long: 'core-dump-pattern', short: 'M', arg: 'optional', value: 'PATN', origin: KA, help: "Also set /proc/sys/kernel/core_pattern to PATN (default 'core')", ignored: 'would set /proc/sys/kernel/core_pattern and enable core dumps; keepalived-ts does not' },
  { long: 'no-mem-check', arg: 'none', origin: KA, help: 'Disable malloc() etc mem-checks', ignored: 'would turn off its memory-allocation checks (a debug build feature); keepalived-ts has none' },
  { long: 'mem-check-log', short: 'L', arg: 'none', origin: KA, help: 'Log malloc/frees to syslog', ignored: 'would log its memory allocations (a debug build feature); keepalived-ts does not' },
  { long: 'namespace', short: 's', arg: 'required', value: 'NAME', origin: KA, help: 'Run in network namespace NAME (overrides config)', apply: (o, v) => { o.namespace = v; } },
  { long: 'all-config', short: 'e', arg: 'none', origin: KA, help: 'Error if any configuration file missing (same as includet)', apply: (o) => { o.includeCheck = true; } },
  { long: 'config-id', short: 'i', arg: 'required', value: 'ID', origin: KA, help: "Skip any configuration lines beginning '@' that don't match id or any lines beginning @^ that do match. The config-id defaults to the node name if option not used", apply: (o, v) => { o.configId = v; } },
  { long: 'signum', arg: 'required', value: 'SIGFUNC', origin: KA, help: 'Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON', apply: (o, v) => { o.signum = v; } },
  { long: 'config-test', short: 't', arg: 'optional', value: 'LOG_FILE', origin: KA, help: 'Check the configuration for obvious errors, output to stderr by default (exit 0 clean, 4 cannot run, 5 errors, 6 script security)', apply: (o, v) => { o.configTest = true; if (v) o.configTestLog = v; } },
  { long: 'config-fd', arg: 'required', value: 'FD', origin: KA, help: 'Read the configuration from this descriptor (used between keepalived processes)', ignored: 'would read the configuration its parent process passed on this descriptor (internal to keepalived); keepalived-ts reads -f' },
  { long: 'perf', arg: 'optional', value: 'run|all|end', origin: KA, help: 'Collect perf data', ignored: 'would record perf data (a debug build feature); keepalived-ts does not' },
  { long: 'debug', arg: 'optional', value: 'OPTIONS', origin: KA, help: 'Enable debug options', ignored: 'would turn on debug options (a debug build feature); keepalived-ts does not' },
  { long: 'version', short: 'v', arg: 'none', origin: KA, help: 'Display the version number', apply: (o) => { o.version = true; } },
  { long: 'help', short: 'h', arg: 'none', origin: KA, help: 'Display this help message', apply: (o) => { o.help = true; } },
  { long: 'json', arg: 'none', origin: OURS, help: 'With -d: print the typed model of the effective configuration as JSON', apply: (o) => { o.json = true; } },
  {
    long: 'log-format', arg: 'required', value: 'json|text', origin: OURS, help: "Console and log file lines as JSON or keepalived's text",
    apply: (o, v) => {
      if (v !== 'json' && v !== 'text') throw new UsageError(`--log-format: expected json or text, got '${v}'`);
      o.logFormat = v;
    },
  },
  { long: 'dump-state', arg: 'none', origin: OURS, help: 'Ask the running daemon for its state over the control socket', apply: (o) => { o.dumpState = true; } },
  {
    long: 'format', arg: 'required', value: 'json|text', origin: OURS, help: 'Format of --dump-state (default text)',
    apply: (o, v) => {
      if (v !== 'json' && v !== 'text') throw new UsageError(`--format: expected json or text, got '${v}'`);
      o.format = v;
    },
  },
  { long: 'control-socket', arg: 'required', value: 'PATH', origin: OURS, help: 'Control socket path', apply: (o, v) => { o.controlSocket = v; } },
  { long: 'enable-fault-injection', arg: 'none', origin: OURS, help: 'Accept fault-injection commands on the control socket', apply: (o) => { o.enableFaultInjection = true; } },
  {
    long: 'actor-threads', arg: 'required', value: 'N', origin: OURS, help: 'VRRP actor threads to spread the instances over (default: one thread per 128 instances, at most 4)',
    apply: (o, v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--actor-threads: expected an integer in [1, 256], got '${v}'`);
      o.actorThreads = n;
    },
  },
  { long: 'data-file', arg: 'required', value: 'FILE', origin: OURS, help: 'Where SIGUSR1 writes the state dump (default /tmp/keepalived.data)', apply: (o, v) => { o.dataFile = v; } },
  { long: 'stats-file', arg: 'required', value: 'FILE', origin: OURS, help: 'Where SIGUSR2 writes the statistics (default /tmp/keepalived.stats)', apply: (o, v) => { o.statsFile = v; } },  { long: 'metrics-listen', arg: 'required', value: 'ADDR:PORT', origin: OURS, help: 'Serve /metrics, /healthz, /readyz and the status page (docs/metrics.md)', apply: (o, v) => { o.metricsListen = v; } },
  { long: 'reload', arg: 'none', origin: OURS, help: 'Reload the running daemon over the control socket; print what changed', apply: (o) => { o.client = 'reload'; } },
  { long: 'stats', arg: 'none', origin: OURS, help: "Print the running daemon's statistics", apply: (o) => { o.client = 'stats'; } },
  { long: 'health', arg: 'none', origin: OURS, help: 'Liveness probe: exit 0 healthy, 1 not', apply: (o) => { o.client = 'health'; } },
  { long: 'ready', arg: 'optional', value: 'INSTANCE', origin: OURS, help: 'Readiness probe (every instance or one is MASTER or BACKUP): exit 0 ready, 1 not', apply: (o, v) => { o.client = 'ready'; o.readyInstance = v || undefined; } },
];

function defaults(): CliOptions {
  return {
    configFile: DEFAULT_CONFIG, dontFork: false, logConsole: false, logDetail: false, vrrpOnly: false, checkOnly: false,
    configTest: false, dumpConf: false, json: false, version: false, help: false, dumpState: false, format: 'text',
    enableFaultInjection: false, dontReleaseVrrp: false, warnings: [],
  };
}

function byShort(c: string): OptionSpec | undefined {
  return OPTIONS.find((x) => x.short === c);
}

/** getopt_long: an exact long name, else an unambiguous prefix of one. */
function byLong(name: string): OptionSpec {
  const exact = OPTIONS.find((x) => x.long === name);
  if (exact) return exact;
  const pre = OPTIONS.filter((x) => x.long.startsWith(name));
  if (pre.length === 1) return pre[0];
  if (pre.length > 1) throw new UsageError(`option '--${name}' is ambiguous; possibilities: ${pre.map((x) => '--' + x.long).join(' ')}`);
  throw new UsageError(`Unknown option --${name}`);
}

/** The one line printed for an option keepalived-ts accepts but does not act on. */
export function ignoredWarning(spec: OptionSpec): string {
  const name = `${spec.short ? `-${spec.short}/` : ''}--${spec.long}`;
  return `${name}: ignored: keepalived ${spec.ignored} [E_CLI_UNSUPPORTED]`;
}

/**
 * Parses argv as keepalived does with getopt_long: bundled short flags, `-fFILE` or `-f FILE`,
 * `--name=value` or `--name value` for a required value, an optional value only when attached
 * (`-t/path`, `--config-test=/path`). `-T` hands the rest of the line to genhash. Stray words are
 * reported (keepalived prints "Unexpected argument(s)" and goes on).
 */
export function parseArgs(argv: string[]): CliOptions {
  const o = defaults();
  const stray: string[] = [];
  const use = (spec: OptionSpec, v: string | undefined, rest: () => string[]): boolean => {
    if (spec.long === 'genhash') { o.genhash = rest(); return true; }
    if (spec.ignored) o.warnings.push(ignoredWarning(spec));
    if (spec.long === 'log-detail' && o.logDetail) o.logExtraDetail = true;
    spec.apply?.(o, v);
    return false;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { stray.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const spec = byLong(eq >= 0 ? a.slice(2, eq) : a.slice(2));
      let v = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (spec.arg === 'none' && v !== undefined) throw new UsageError(`option '--${spec.long}' doesn't allow an argument`);
      if (spec.arg === 'required') {
        if (v === undefined) v = argv[++i];
        if (!v) throw new UsageError(`Missing parameter for option --${spec.long}`);
      }
      if (spec.arg === 'optional' && v === undefined && spec.long === 'log-file' && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) v = argv[++i];
      if (use(spec, v, () => argv.slice(i + 1))) break;
    } else if (a.startsWith('-') && a.length > 1) {
      let done = false;
      for (let j = 1; j < a.length && !done; j++) {
        const spec = byShort(a[j]);
        if (!spec) throw new UsageError(`Unknown option -${a[j]}`);
        let v: string | undefined;
        if (spec.arg !== 'none') {
          v = a.slice(j + 1) || undefined;
          j = a.length;
          if (v === undefined && spec.arg === 'required') {
            v = argv[++i];
            if (!v) throw new UsageError(`Missing parameter for option -${spec.short}`);
          }
          // -g FILE: keepalived's -g takes its value attached only; a separate FILE is what people write
          if (v === undefined && spec.long === 'log-file' && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-')) v = argv[++i];
        }
        if (use(spec, v, () => [a.slice(j + 1), ...argv.slice(i + 1)].filter((x) => x !== ''))) { done = true; i = argv.length; }
      }
    } else {
      stray.push(a);
    }
  }
  if (stray.length) o.warnings.push(`Unexpected argument(s): ${stray.join(' ')}`);
  return o;
}

function synopsis(s: OptionSpec): string {
  const v = s.value ?? '';
  const long = s.arg === 'required' ? `--${s.long}=${v}` : s.arg === 'optional' ? `--${s.long}[=${v}]` : `--${s.long}`;
  return `${s.short ? `-${s.short}, ` : '    '}${long}`;
}

/** `-h`: keepalived's usage layout, from the table. */
export function helpText(prog = 'keepalived-ts'): string {
  const lines = [`Usage: ${prog} [OPTION...]`];
  for (const s of OPTIONS) {
    const left = `  ${synopsis(s)}`;
    const help = s.ignored ? `${s.help} (accepted, not acted upon)` : s.help;
    lines.push(left.length <= 30 ? `${left.padEnd(31)}${help}` : `${left}\n${' '.repeat(31)}${help}`);
  }
  return lines.join('\n') + '\n';
}

function roff(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^\./gm, '\\&.').replace(/^'/gm, "\\&'");
}

/** The man page's OPTIONS section (roff), from the table. */
export function manOptionsSection(): string {
  const out = ['.SH OPTIONS'];
  for (const s of OPTIONS) {
    const v = s.value ? (s.arg === 'optional' ? `[=\\fI${roff(s.value)}\\fR]` : ` \\fI${roff(s.value)}\\fR`) : '';
    const names = [s.short ? `\\fB\\-${s.short}\\fR` : '', `\\fB\\-\\-${roff(s.long)}\\fR${s.arg === 'optional' ? v : s.arg === 'required' ? `=${v.trim()}` : ''}`].filter(Boolean);
    out.push('.TP', names.join(', '));
    let text = roff(s.help);
    if (s.ignored) text += `\n.br\nAccepted and ignored with a warning: keepalived ${roff(s.ignored)}.`;
    if (s.origin === OURS) text += '\n.br\n(keepalived\\-ts only.)';
    out.push(text);
  }
  return out.join('\n') + '\n';
}
