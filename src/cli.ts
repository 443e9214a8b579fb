/** keepalived-compatible command line (keepalived(8)), plus keepalived-ts's own options; the table is in ./options. */
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parseConfig, configTestExitCode, formatDiagnostics, dumpConfigText, defaultConfigId } from './config';
import type { DaemonOptions } from './daemon/index';
import { parseArgs, helpText, UsageError, DEFAULT_CONFIG, type CliOptions } from './options';
import { signumOf } from './daemon/signal-table';

export { parseArgs, UsageError, DEFAULT_CONFIG, type CliOptions };
export const VERSION = '0.1.0';

export interface DumpStateOptions {
  format: 'json' | 'text';
  controlSocket?: string;
  pidFile?: string;
}

/** The usage text (-h); scripts/build-man.js makes the man page's OPTIONS from it. */
export function usageText(): string {
  return helpText();
}

export function daemonOptions(o: CliOptions): DaemonOptions {
  const d: DaemonOptions = {
    configFile: o.configFile, configId: o.configId, dontFork: o.dontFork, logConsole: o.logConsole, logDetail: o.logDetail,
    logFile: o.logFile, vrrpOnly: o.vrrpOnly, checkOnly: o.checkOnly, pidFile: o.pidFile, vrrpPidFile: o.vrrpPidFile,
    checkersPidFile: o.checkersPidFile, controlSocket: o.controlSocket, dontReleaseVrrp: o.dontReleaseVrrp,
    enableFaultInjection: o.enableFaultInjection, actorThreads: o.actorThreads,
    dataFile: o.dataFile, statsFile: o.statsFile, metricsListen: o.metricsListen,
  };
  const flags = ['logExtraDetail', 'logFacility', 'noSyslog', 'logFormat', 'releaseVips', 'dontReleaseIpvs', 'dontRespawn', 'addressMonitoring', 'includeCheck'] as const;
  for (const k of flags) if (o[k] !== undefined) (d as unknown as Record<string, unknown>)[k] = o[k];
  return d;
}

/**
 * -s NAME: keepalived enters the namespace itself (setns); Node cannot, so the same command line
 * runs again under `ip netns exec NAME`, without -s.
 */
function inNamespace(argv: string[], ns: string): number {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-s' || a === '--namespace') { i++; continue; }
    if (/^-s./.test(a) || a.startsWith('--namespace=')) continue;
    rest.push(a);
  }
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, process.argv[1], ...rest], { stdio: 'inherit' });
  if (r.error) { process.stderr.write(`keepalived-ts: cannot run in network namespace ${ns}: ${r.error.message}\n`); return 1; }
  return r.status ?? 1;
}

/** -T/--genhash anywhere on the line: the rest of it goes to genhash (src/lvs-tools/genhash.ts). */
async function genhash(args: string[]): Promise<number> {
  return (await import('./lvs-tools/genhash')).genhashMain(args, 'keepalived-ts --genhash');
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'genhash' || argv[0] === '-T' || argv[0] === '--genhash') return (await import('./lvs-tools/genhash')).genhashMain(argv.slice(1), argv[0] === 'genhash' ? 'genhash' : 'keepalived-ts --genhash');
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n${helpText()}`);
      return 1;
    }
    throw e;
  }
  for (const w of o.warnings) process.stderr.write(`${w}\n`);
  if (o.umask !== undefined) process.umask(o.umask);
  if (o.genhash) return genhash(o.genhash);
  if (o.help) { process.stdout.write(helpText()); return 0; }
  if (o.version) { process.stdout.write(`keepalived-ts ${VERSION}\n`); return 0; }
  if (o.signum !== undefined) {
    const n = signumOf(o.signum);
    if (n === undefined) { process.stderr.write(`Unknown sigfunc ${o.signum}\n`); return 1; }
    process.stdout.write(`${n}\n`);
    return 0;
  }
  if (o.namespace !== undefined && !o.configTest && !o.dumpConf && !o.dumpState && !o.client) return inNamespace(argv, o.namespace);
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
  if (o.configTest || o.dumpConf) return configTest(o);
  const { runDaemon } = await import('./daemon/index');
  return runDaemon(daemonOptions(o));
}

/** -t and -d. keepalived 2.2.7 exits 0 for a missing configuration file after saying so; so do we. */
function configTest(o: CliOptions): number {
  let out: (s: string) => void = (s) => process.stderr.write(s);
  if (o.configTest && o.configTestLog) {
    try {
      const fd = fs.openSync(o.configTestLog, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o644);
      out = (s) => fs.writeSync(fd, s);
    } catch (e) {
      process.stderr.write(`Unable to open config-test log file ${o.configTestLog} - ${(e as Error).message}\n`);
      return 1;
    }
  }
  if (!fs.existsSync(o.configFile)) {
    out(`Config files missing '${o.configFile}'. [E_CONFIG_FILE]\n`);
    return o.configTest ? 0 : 3;
  }
  const r = parseConfig(o.configFile, { configId: o.configId ?? defaultConfigId(), includeCheck: o.includeCheck });
  out(formatDiagnostics(r.diagnostics));
  if (o.dumpConf) process.stdout.write(o.json ? JSON.stringify(r.config, null, 2) + '\n' : dumpConfigText(r.config));
  if (o.configTest) return configTestExitCode(r);
  return r.fatal ? 3 : 0;
}
