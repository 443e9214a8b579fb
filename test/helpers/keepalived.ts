/**
 * Launchers for the daemons under test, each in a lab host's namespace with its own files:
 * - startKeepalived: Debian's keepalived 2.2.7 (the interop peer and the reference for timings)
 * - startKeepalivedTs: this repository's bin/keepalived-ts
 * Every run gets a fresh temp dir for its config, pid files and control socket, so several daemons
 * on one machine never collide.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { makeTempDir, removeTempDir, type Host, type ProcessHandle } from './lab';

export const KEEPALIVED_BIN = '/usr/sbin/keepalived';

export interface DaemonOptions {
  /** extra command line arguments, appended */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** label for verbose output */
  label?: string;
  /** keepalived-ts only: options for node itself, before the script (V8 flags: bench/cost.ts --node-flags) */
  nodeFlags?: string[];
}

export interface DaemonHandle {
  readonly host: Host;
  readonly kind: 'keepalived' | 'keepalived-ts';
  readonly proc: ProcessHandle;
  /** pid of the process started (keepalived's parent with -n) */
  readonly pid: number;
  readonly dir: string;
  readonly configPath: string;
  readonly pidFile: string;
  /** keepalived: the VRRP child's pid file; keepalived-ts: unused (same path scheme) */
  readonly vrrpPidFile: string;
  /** keepalived-ts only: the --control-socket path */
  readonly controlSocket: string;
  /** stdout and stderr lines so far */
  logs(): string[];
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  /** rewrites the config file (then send SIGHUP to reload) */
  writeConfig(text: string): void;
  /** sends a signal to the main process */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, wait up to timeoutMs, then SIGKILL everything; resolves with the exit status */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** a crash: SIGSTOP then SIGKILL the process and all its descendants, so none can react */
  kill9(): Promise<void>;
  /** pids of the process and its descendants (keepalived: parent + VRRP/checker children) */
  pids(): number[];
}

/** Children of `pid` (transitively), read from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(e), Number(after[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [c, pp] of parentOf) {
      if (pp === p) {
        out.push(c);
        walk(c);
      }
    }
  };
  walk(pid);
  return out;
}

function signalAll(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      /* gone */
    }
  }
}

function makeHandle(
  kind: DaemonHandle['kind'],
  host: Host,
  cmd: (files: { dir: string; configPath: string; pidFile: string; vrrpPidFile: string; checkerPidFile: string; bfdPidFile: string; controlSocket: string }) => string[],
  configText: string,
  opts: DaemonOptions,
): DaemonHandle {
  const dir = makeTempDir(`kts-${kind}-`);
  const files = {
    dir,
    configPath: join(dir, 'keepalived.conf'),
    pidFile: join(dir, 'main.pid'),
    vrrpPidFile: join(dir, 'vrrp.pid'),
    checkerPidFile: join(dir, 'checkers.pid'),
    bfdPidFile: join(dir, 'bfd.pid'),
    controlSocket: join(dir, 'control.sock'),
  };
  writeFileSync(files.configPath, configText);
  const proc = host.spawn([...cmd(files), ...(opts.args ?? [])], { env: opts.env, label: opts.label ?? `${kind}@${host.name}` });
  const all = (): string[] => {
    const o = proc.output();
    return [...o.stdout, ...o.stderr];
  };
  const pids = (): number[] => (proc.running() ? [proc.pid, ...descendants(proc.pid)] : []);
  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  const handle: DaemonHandle = {
    host,
    kind,
    proc,
    pid: proc.pid,
    dir,
    configPath: files.configPath,
    pidFile: files.pidFile,
    vrrpPidFile: files.vrrpPidFile,
    controlSocket: files.controlSocket,
    logs: all,
    waitForLog: (re, timeoutMs) => proc.waitForOutput(re, timeoutMs),
    writeConfig: (text) => writeFileSync(files.configPath, text),
    signal: (sig) => {
      proc.kill(sig);
    },
    pids,
    stop: (timeoutMs = 5_000) => {
      if (!stopping) {
        stopping = (async () => {
          proc.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<'timeout'>((r) => {
            timer = setTimeout(() => r('timeout'), timeoutMs);
          });
          const r = await Promise.race([proc.wait(), timedOut]);
          if (timer) clearTimeout(timer);
          if (r === 'timeout') {
            signalAll(pids(), 'SIGKILL');
            await proc.wait();
          }
          removeTempDir(dir);
          return proc.wait();
        })();
      }
      return stopping;
    },
    kill9: async () => {
      const list = pids();
      signalAll(list, 'SIGSTOP');
      // children forked between the listing and the stop are caught by a second pass
      const more = list.flatMap((p) => descendants(p)).filter((p) => !list.includes(p));
      signalAll(more, 'SIGSTOP');
      signalAll([...list, ...more], 'SIGKILL');
      await proc.wait();
    },
  };
  return handle;
}

/**
 * Runs Debian's keepalived in the host's namespace:
 * `keepalived -n -l -D -P -G -f CONF -p PID -r VRRP_PID -c CHECKER_PID -b BFD_PID [args]`.
 * Pass `args: ['-C']`-style overrides via opts.args; `-P` can be dropped with opts.vrrpOnly=false.
 */
export function startKeepalived(host: Host, configText: string, opts: DaemonOptions & { vrrpOnly?: boolean } = {}): DaemonHandle {
  if (!existsSync(KEEPALIVED_BIN)) throw new Error(`lab: ${KEEPALIVED_BIN} is not installed (apt-get install keepalived)`);
  return makeHandle(
    'keepalived',
    host,
    (f) => [
      KEEPALIVED_BIN, '-n', '-l', '-D', ...(opts.vrrpOnly === false ? [] : ['-P']), '-G',
      '-f', f.configPath, '-p', f.pidFile, '-r', f.vrrpPidFile, '-c', f.checkerPidFile, '-b', f.bfdPidFile,
    ],
    configText,
    opts,
  );
}

/** The repository root: the nearest directory above this file holding package.json. */
export function repoRoot(): string {
  let d = __dirname;
  for (;;) {
    if (existsSync(join(d, 'package.json'))) return d;
    const up = dirname(d);
    if (up === d) throw new Error(`lab: no package.json above ${__dirname}`);
    d = up;
  }
}

/** The dist dir this helper was compiled into (e.g. 'dist' or 'dist-lab'). */
export function distDirName(): string {
  const root = repoRoot();
  const rel = relative(root, __dirname).split(/[\\/]/)[0];
  return rel && rel.startsWith('dist') ? rel : 'dist';
}

/**
 * Runs this repository's daemon in the host's namespace:
 * `node <repo>/bin/keepalived-ts -n -l -f CONF -p PID --control-socket SOCK [args]`.
 * KTS_DIST in its environment names the dist dir the tests were compiled into.
 */
export function startKeepalivedTs(host: Host, configText: string, opts: DaemonOptions = {}): DaemonHandle {
  const bin = join(repoRoot(), 'bin', 'keepalived-ts');
  if (!existsSync(bin)) throw new Error(`lab: ${bin} not found`);
  const env = { ...process.env, KTS_DIST: distDirName(), ...opts.env };
  return makeHandle(
    'keepalived-ts',
    host,
    (f) => [process.execPath, ...(opts.nodeFlags ?? []), bin, '-n', '-l', '-f', f.configPath, '-p', f.pidFile, '--control-socket', f.controlSocket],
    configText,
    { ...opts, env },
  );
}

/** A keepalived.conf for the classic two-node test (reference captures use exactly this shape). */
export function vrrpConfig(p: {
  instance?: string;
  state: 'MASTER' | 'BACKUP';
  priority: number;
  vrid?: number;
  version?: 2 | 3;
  interfaceName?: string;
  advertInt?: number;
  authPass?: string | null;
  vips: string[];
  unicastSrc?: string;
  unicastPeers?: string[];
  nopreempt?: boolean;
  extraInstance?: string[];
  extraGlobal?: string[];
}): string {
  const lines = ['global_defs {', `  vrrp_version ${p.version ?? 2}`, ...(p.extraGlobal ?? []).map((l) => `  ${l}`), '}', ''];
  lines.push(`vrrp_instance ${p.instance ?? 'VI_1'} {`);
  lines.push(`  state ${p.state}`);
  lines.push(`  interface ${p.interfaceName ?? 'eth0'}`);
  lines.push(`  virtual_router_id ${p.vrid ?? 51}`);
  lines.push(`  priority ${p.priority}`);
  lines.push(`  advert_int ${p.advertInt ?? 1}`);
  if (p.nopreempt) lines.push('  nopreempt');
  const auth = p.authPass === undefined ? ((p.version ?? 2) === 2 ? 'secret1' : null) : p.authPass;
  if (auth !== null) lines.push('  authentication {', '    auth_type PASS', `    auth_pass ${auth}`, '  }');
  if (p.unicastSrc) lines.push(`  unicast_src_ip ${p.unicastSrc}`);
  if (p.unicastPeers) lines.push('  unicast_peer {', ...p.unicastPeers.map((x) => `    ${x}`), '  }');
  lines.push('  virtual_ipaddress {', ...p.vips.map((v) => `    ${v}`), '  }');
  for (const l of p.extraInstance ?? []) lines.push(`  ${l}`);
  lines.push('}', '');
  return lines.join('\n');
}
