/** keepalived-compatible command line (keepalived(8)), plus keepalived-ts's own options. */
import * as fs from 'node:fs';
import { parseConfig, configTestExitCode, formatDiagnostics, dumpConfigText, defaultConfigId } from './config';
import type { DaemonOptions } from './daemon/index';
import { signumOf } from './daemon/signal-table';

export const VERSION = '0.1.0';
export const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';

export interface DumpStateOptions {
  format: 'json' | 'text';
  controlSocket?: string;
  pidFile?: string;
}

/** Everything the command line sets: the daemon's options plus the one-shot modes. */
export interface CliOptions extends DaemonOptions {
  configTest: boolean;
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
}

export class UsageError extends Error {}

const HELP = `Usage: keepalived-ts [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file (default ${DEFAULT_CONFIG})
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -g, --log-file=FILE          Also log to FILE
  -G, --no-syslog              Don't log via syslog
  -S, --log-facility=[0-7]     Set syslog facility to LOG_LOCAL[0-7]
      --log-format=json|text   Console and log file lines as JSON or keepalived's text
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf              Dump the configuration data (--json: the typed model as JSON)
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -i, --config-id=id           Skip any configuration lines beginning '@' that don't match id
  -t, --config-test[=FILE]     Check the configuration for obvious errors (exit 0 ok, 3 cannot run,
                               4 errors but will run, 5 script security)
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
      --dump-state [--format json|text]  Ask the running daemon for its state (control socket)
      --control-socket=PATH    Control socket path
      --enable-fault-injection Accept fault-injection commands on the control socket
      --metrics-listen=ADDR:PORT  Serve /metrics, /healthz, /readyz and the status page (docs/metrics.md)
      --reload                 Reload the running daemon over the control socket; print what changed
      --stats                  Print the running daemon's statistics
      --health                 Liveness probe: exit 0 healthy, 1 not
      --ready[=INSTANCE]       Readiness probe (all instances or one MASTER/BACKUP): exit 0 ready, 1 not
      --dont-release-vrrp      Don't remove VRRP VIPs and routes on daemon stop
      --actor-threads=N        Number of actor host threads
      --data-file=FILE         Where SIGUSR1 writes the state dump (default /tmp/keepalived.data)
      --stats-file=FILE        Where SIGUSR2 writes the statistics (default /tmp/keepalived.stats)
  -v, --version                Display the version number
  -h, --help                   Display this help message
`;

/** The usage text (-h); the man page's OPTIONS are generated from it (scripts/build-man.js). */
export function usageText(): string {
  return HELP;
}

export function parseArgs(argv: string[]): CliOptions {
  const o: CliOptions = {
    configFile: DEFAULT_CONFIG, dontFork: false, logConsole: false, logDetail: false, vrrpOnly: false, checkOnly: false,
    configTest: false, dumpConf: false, json: false, version: false, help: false, dumpState: false, format: 'text',
    enableFaultInjection: false, dontReleaseVrrp: false,
  };
  const short: Record<string, string> = {
    f: 'use-file', n: 'dont-fork', l: 'log-console', D: 'log-detail', g: 'log-file', P: 'vrrp', C: 'check', t: 'config-test',
    G: 'no-syslog', S: 'log-facility', d: 'dump-conf', p: 'pid', r: 'vrrp_pid', c: 'checkers_pid', i: 'config-id', v: 'version', h: 'help',
  };
  const needsValue = new Set(['use-file', 'log-file', 'log-facility', 'log-format', 'pid', 'vrrp_pid', 'checkers_pid', 'config-id', 'signum', 'format', 'control-socket', 'actor-threads', 'data-file', 'stats-file', 'metrics-listen']);
  const optionalValue = new Set(['config-test']);
  const items: [string, string | undefined][] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      let val = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (val === undefined && needsValue.has(name)) {
        if (i + 1 >= argv.length) throw new UsageError(`option '--${name}' requires an argument`);
        val = argv[++i];
      }
      items.push([name, val]);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const name = short[a[j]];
        if (!name) throw new UsageError(`invalid option -- '${a[j]}'`);
        if (needsValue.has(name) || optionalValue.has(name)) {
          let val: string | undefined = a.slice(j + 1) || undefined;
          if (val === undefined && needsValue.has(name)) {
            if (i + 1 >= argv.length) throw new UsageError(`option requires an argument -- '${a[j]}'`);
            val = argv[++i];
          }
          items.push([name, val]);
          break;
        }
        items.push([name, undefined]);
      }
    } else {
      throw new UsageError(`unexpected argument '${a}'`);
    }
  }
  for (const [name, val] of items) {
    switch (name) {
      case 'use-file': o.configFile = val!; break;
      case 'dont-fork': o.dontFork = true; break;
      case 'log-console': o.logConsole = true; break;
      case 'log-detail': o.logDetail = true; break;
      case 'log-file': o.logFile = val; break;
      case 'no-syslog': o.noSyslog = true; break;
      case 'log-facility': {
        if (!/^[0-7]$/.test(val!)) throw new UsageError(`invalid log facility '${val}': expected 0-7`);
        o.logFacility = Number(val);
        break;
      }
      case 'log-format':
        if (val !== 'json' && val !== 'text') throw new UsageError(`--log-format: expected json or text, got '${val}'`);
        o.logFormat = val;
        break;
      case 'vrrp': o.vrrpOnly = true; break;
      case 'check': o.checkOnly = true; break;
      case 'config-test': o.configTest = true; if (val) o.logFile = val; break;
      case 'dump-conf': o.dumpConf = true; break;
      case 'json': o.json = true; break;
      case 'pid': o.pidFile = val; break;
      case 'vrrp_pid': o.vrrpPidFile = val; break;
      case 'checkers_pid': o.checkersPidFile = val; break;
      case 'config-id': o.configId = val; break;
      case 'signum': o.signum = val; break;
      case 'version': o.version = true; break;
      case 'help': o.help = true; break;
      case 'dump-state': o.dumpState = true; break;
      case 'format':
        if (val !== 'json' && val !== 'text') throw new UsageError(`--format: expected json or text, got '${val}'`);
        o.format = val;
        break;
      case 'control-socket': o.controlSocket = val; break;
      case 'enable-fault-injection': o.enableFaultInjection = true; break;
      case 'dont-release-vrrp': o.dontReleaseVrrp = true; break;
      case 'data-file': o.dataFile = val; break;
      case 'stats-file': o.statsFile = val; break;
      case 'metrics-listen': o.metricsListen = val; break;
      case 'reload': case 'stats': case 'health': o.client = name; break;
      case 'ready': o.client = 'ready'; o.readyInstance = val; break;
      case 'actor-threads': {
        const n = Number(val);
        if (!Number.isInteger(n) || n < 1 || n > 256) throw new UsageError(`--actor-threads: expected an integer in [1, 256], got '${val}'`);
        o.actorThreads = n;
        break;
      }
      default: throw new UsageError(`unrecognized option '--${name}'`);
    }
  }
  return o;
}

export function daemonOptions(o: CliOptions): DaemonOptions {
  return {
    configFile: o.configFile, configId: o.configId, dontFork: o.dontFork, logConsole: o.logConsole, logDetail: o.logDetail,
    logFile: o.logFile, logFacility: o.logFacility, noSyslog: o.noSyslog, logFormat: o.logFormat, vrrpOnly: o.vrrpOnly, checkOnly: o.checkOnly, pidFile: o.pidFile, vrrpPidFile: o.vrrpPidFile,
    checkersPidFile: o.checkersPidFile, controlSocket: o.controlSocket, dontReleaseVrrp: o.dontReleaseVrrp,
    enableFaultInjection: o.enableFaultInjection, actorThreads: o.actorThreads,
    dataFile: o.dataFile, statsFile: o.statsFile, metricsListen: o.metricsListen,
  };
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'genhash' || argv[0] === '-T' || argv[0] === '--genhash') return (await import('./lvs-tools/genhash')).genhashMain(argv.slice(1), argv[0] === 'genhash' ? 'genhash' : 'keepalived-ts --genhash');
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`keepalived-ts: ${e.message}\n${HELP}`);
      return 1;
    }
    throw e;
  }
  if (o.help) { process.stdout.write(HELP); return 0; }
  if (o.version) { process.stdout.write(`keepalived-ts ${VERSION}\n`); return 0; }
  if (o.signum !== undefined) {
    const n = signumOf(o.signum);
    if (n === undefined) { process.stderr.write(`Unknown sigfunc ${o.signum}\n`); return 1; }
    process.stdout.write(`${n}\n`);
    return 0;
  }
  if (o.client || (o.dumpState && o.format === 'text')) {
    const { runClient } = await import('./observe/client');
    return runClient({ cmd: o.client ?? 'dump-state', format: o.format, socket: o.controlSocket, instance: o.readyInstance });
  }
  if (o.dumpState) {
    // the supervisor's client names the path `socket`; passing only `controlSocket` silently used the default path
    const opts: DumpStateOptions & { socket?: string } = { format: o.format, controlSocket: o.controlSocket, socket: o.controlSocket, pidFile: o.pidFile };
    let mod: { dumpState?: (x: DumpStateOptions & { socket?: string }) => Promise<number> } | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require('./supervisor') as typeof mod;
    } catch {
      mod = undefined;
    }
    if (!mod || typeof mod.dumpState !== 'function') {
      process.stderr.write('keepalived-ts: --dump-state is not available: the supervisor module does not provide dumpState\n');
      return 1;
    }
    return mod.dumpState(opts);
  }
  if (o.configTest || o.dumpConf) {
    if (!fs.existsSync(o.configFile)) {
      process.stderr.write(`Config files missing '${o.configFile}'.\n`);
      return 3;
    }
    const r = parseConfig(o.configFile, { configId: o.configId ?? defaultConfigId() });
    const diag = formatDiagnostics(r.diagnostics);
    if (o.configTest && o.logFile) fs.writeFileSync(o.logFile, diag);
    else process.stderr.write(diag);
    if (o.dumpConf) process.stdout.write(o.json ? JSON.stringify(r.config, null, 2) + '\n' : dumpConfigText(r.config));
    if (o.configTest) return configTestExitCode(r);
    return r.fatal ? 3 : 0;
  }
  const { runDaemon } = await import('./daemon/index');
  return runDaemon(daemonOptions(o));
}
