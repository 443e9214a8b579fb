/**
 * The namespace test lab: one bridge namespace and N host namespaces, each host with `eth0` (a veth
 * whose peer is a port of the lab's bridge). End-to-end tests and benchmarks run whole daemons
 * (keepalived-ts and the real keepalived) in the host namespaces and judge what crosses the bridge.
 *
 * Layout of a lab named `kts-<pid36>-<n36>`:
 *   namespace `<lab>-b`   bridges `br0` (the LAN) and `br1` (the far side of a partition),
 *                         ports `p1`..`pN`, one per host
 *   namespace `<lab>-h1`  `lo`, `eth0` = 02:00:c0:00:02:0b, 192.0.2.11/24, 2001:db8::11/64
 *   namespace `<lab>-h2`  `eth0` = 02:00:c0:00:02:0c, 192.0.2.12/24, 2001:db8::12/64 ...
 * Host i (1-based) gets MAC byte, IPv4 and IPv6 suffix 10+i (so host1 = .11, as in the reference
 * captures of /work/shared/reference/keepalived-wire-facts.md).
 *
 * There are no ebtables and no bridge VLAN filtering here (a bridge-level nftables filter would do,
 * but moving ports needs no tools), so a partition moves the
 * second group's bridge ports to `br1`: carriers stay up (the daemons see no link event, as in a real
 * split), and a capture listens on both bridges and merges the frames by time.
 *
 * Names encode the creating pid, so `sweepStaleLabs()` can remove what a dead test process left.
 */
import { spawn as cpSpawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPcapFile, type PcapFrame } from './pcap';

// ---------------------------------------------------------------------------------------------
// types

export interface LabOptions {
  /** number of hosts, or their names (names are labels; namespaces stay unique) */
  hosts: number | string[];
  /** add the 2001:db8::/64 addresses (default true) */
  ipv6?: boolean;
  /** a label included in error messages */
  name?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** throw when the exit code is not 0 */
  check?: boolean;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** prefix for lines echoed to this process's stderr when KTS_LAB_VERBOSE is set */
  label?: string;
}

export interface ProcessHandle {
  readonly pid: number;
  readonly cmd: string[];
  kill(signal?: NodeJS.Signals | number): boolean;
  /** resolves when the process has exited */
  wait(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** true until the process has exited */
  running(): boolean;
  /** collected output so far, split into lines */
  output(): { stdout: string[]; stderr: string[] };
  /** resolves with the first line (stdout or stderr) matching `re`; rejects on timeout or exit */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<string>;
}

export interface AddressInfo {
  dev: string;
  family: 'inet' | 'inet6';
  address: string;
  prefixlen: number;
  scope: string;
  flags: string[];
}

export interface Host {
  /** label: 'h1'.. or the name given in LabOptions.hosts */
  readonly name: string;
  /** 1-based position in the lab */
  readonly index: number;
  readonly ns: string;
  readonly ip4: string;
  readonly ip6: string;
  readonly mac: string;
  /** name of this host's port on the bridge, inside lab.bridgeNs */
  readonly port: string;
  exec(cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  spawn(cmd: string[], opts?: SpawnOptions): ProcessHandle;
  addresses(dev?: string): Promise<AddressInfo[]>;
  hasAddress(ip: string, dev?: string): Promise<boolean>;
  /** polls until `ip` is present (or absent); resolves with the time waited in ms */
  waitForAddress(ip: string, opts?: { present?: boolean; timeoutMs?: number; dev?: string }): Promise<number>;
  /** creates a veth pair inside the host: `name` (returned) and its peer; both up */
  addVethSpare(name: string, opts?: { up?: boolean }): Promise<{ name: string; peer: string }>;
  /** `ip link set DEV up|down` inside the host */
  setLink(dev: string, up: boolean): Promise<void>;
}

export interface CaptureFrame extends PcapFrame {
  /** bridge the frame was seen on: 'br0', or 'br1' during a partition */
  bridge: string;
}

export interface Capture {
  /** frames captured so far (files are written with -U, so this is near real time) */
  frames(): CaptureFrame[];
  /** polls frames() until `pred` holds for the list; resolves with the list */
  waitFor(pred: (frames: CaptureFrame[]) => boolean, timeoutMs?: number): Promise<CaptureFrame[]>;
  /** stops tcpdump (after a short drain) and returns every frame, sorted by time */
  stop(): Promise<CaptureFrame[]>;
}

export type HostRef = Host | string | number;

export interface Lab {
  readonly name: string;
  readonly hosts: Host[];
  readonly bridgeNs: string;
  /** the LAN bridge inside bridgeNs */
  readonly bridge: string;
  host(ref: HostRef): Host;
  capture(filter?: string): Promise<Capture>;
  /** groupB's ports move to a second bridge; hosts in neither group stay with groupA */
  partition(groupA: HostRef[], groupB: HostRef[]): Promise<void>;
  heal(): Promise<void>;
  /** bridge port down: the host's eth0 loses carrier */
  cutLink(host: HostRef): Promise<void>;
  healLink(host: HostRef): Promise<void>;
  addHost(name?: string): Promise<Host>;
  destroy(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// process-wide bookkeeping

const PREFIX = 'kts-';
const NAME_RE = /^kts-([0-9a-z]+)-([0-9a-z]+)-(.+)$/;
let labCounter = 0;
const liveLabs = new Set<LabImpl>();
const liveProcs = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let handlersInstalled = false;

/** Throws (never skips) when the lab cannot work here: not root, or ip/tcpdump missing. */
export function requireLabPrerequisites(): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error('lab: end-to-end tests need root (network namespaces); run the suite as root');
  }
  for (const tool of ['ip', 'tcpdump', 'bridge']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`lab: required tool '${tool}' is not installed (apt-get install iproute2 tcpdump)`);
  }
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => cleanupSync());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      cleanupSync();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Synchronous best-effort removal of everything this process created (exit path). */
export function cleanupSync(): void {
  for (const p of liveProcs) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  liveProcs.clear();
  for (const lab of liveLabs) {
    for (const ns of lab.namespaces()) deleteNamespaceSync(ns);
  }
  liveLabs.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

function deleteNamespaceSync(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  for (const s of (pids.stdout ?? '').split(/\s+/)) {
    const pid = Number(s);
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
}

/** Whether a process with this pid exists (signal 0; a zombie counts as existing). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function listNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return (r.stdout ?? '')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n !== undefined && n !== '');
}

/** Removes `kts-*` namespaces whose creating process is dead. Returns the names removed. */
export async function sweepStaleLabs(): Promise<string[]> {
  const stale = listNamespaces().filter((ns) => {
    const m = NAME_RE.exec(ns);
    if (!m) return false;
    const pid = parseInt(m[1], 36);
    return pid !== process.pid && !pidAlive(pid);
  });
  // processes first (a namespace with a live process keeps its interfaces), then the namespaces
  await Promise.all(stale.map((ns) => killNamespaceProcesses(ns)));
  await Promise.all(stale.map((ns) => run(['ip', 'netns', 'del', ns])));
  return stale;
}

async function killNamespaceProcesses(ns: string): Promise<void> {
  const r = await run(['ip', 'netns', 'pids', ns]);
  for (const s of r.stdout.split(/\s+/)) {
    const pid = Number(s);
    if (pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// command running

/** Runs a command to completion and collects its output; never throws unless `check`. */
export function run(cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = cpSpawn(cmd[0], cmd.slice(1), { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    liveProcs.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    }
    child.on('error', (e) => {
      liveProcs.delete(child);
      if (timer) clearTimeout(timer);
      reject(new Error(`lab: cannot run ${cmd.join(' ')}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      liveProcs.delete(child);
      if (timer) clearTimeout(timer);
      const res: ExecResult = {
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (opts.check && res.code !== 0) {
        reject(new Error(`lab: '${cmd.join(' ')}' exited ${res.code}${signal ? ` (${signal})` : ''}: ${res.stderr.trim() || res.stdout.trim()}`));
      } else resolve(res);
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

async function must(cmd: string[], input?: string): Promise<string> {
  return (await run(cmd, { check: true, input })).stdout;
}

/**
 * Waits until `dev` in `ns` is operationally UP. `link set up` returns before the kernel's linkwatch
 * has turned the carrier on (it batches those events, up to 1 s apart); a daemon started in that window
 * sees its interface down and enters FAULT first (keepalived 2.2.7 did so under load: BACKUP, FAULT,
 * MASTER notifies instead of MASTER), so a host is handed out only once its link is up.
 */
async function waitOperUp(ns: string, dev: string, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const out = await must(['ip', '-n', ns, '-o', 'link', 'show', 'dev', dev]);
    if (/ state UP /.test(out)) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`lab: ${ns} ${dev} not operationally up after ${timeoutMs} ms: ${out.trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `ip -n NS -batch -` with the given commands; one process for many changes. */
async function ipBatch(ns: string | null, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const args = ns ? ['ip', '-n', ns, '-batch', '-'] : ['ip', '-batch', '-'];
  await must(args, lines.join('\n') + '\n');
}

function spawnProcess(cmd: string[], opts: SpawnOptions = {}): ProcessHandle {
  const child = cpSpawn(cmd[0], cmd.slice(1), { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  liveProcs.add(child);
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const partial = { stdout: '', stderr: '' };
  const waiters = new Set<(line: string | null) => void>();
  const verbose = process.env.KTS_LAB_VERBOSE ? (opts.label ?? cmd[cmd.length - 1]) : null;
  const feed = (which: 'stdout' | 'stderr', d: Buffer): void => {
    const text = partial[which] + d.toString('utf8');
    const parts = text.split('\n');
    partial[which] = parts.pop() ?? '';
    for (const l of parts) {
      lines[which].push(l);
      if (verbose) process.stderr.write(`[${verbose}] ${l}\n`);
      for (const w of [...waiters]) w(l);
    }
  };
  child.stdout?.on('data', (d: Buffer) => feed('stdout', d));
  child.stderr?.on('data', (d: Buffer) => feed('stderr', d));
  let exited = false;
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e) => {
      lines.stderr.push(`spawn error: ${e.message}`);
    });
    // 'exit', not 'close': a daemon's children may keep the pipes open after the daemon is gone
    child.on('exit', (code, signal) => {
      exited = true;
      liveProcs.delete(child);
      resolve({ code, signal });
    });
    child.on('close', () => {
      for (const which of ['stdout', 'stderr'] as const) {
        if (partial[which] !== '') lines[which].push(partial[which]);
        partial[which] = '';
      }
      for (const w of [...waiters]) w(null);
    });
  });
  if (child.pid === undefined) exited = true;
  return {
    pid: child.pid ?? -1,
    cmd,
    kill: (signal: NodeJS.Signals | number = 'SIGTERM') => {
      if (exited) return false;
      try {
        return child.kill(signal);
      } catch {
        return false;
      }
    },
    wait: () => done,
    running: () => !exited,
    output: () => ({
      stdout: [...lines.stdout, ...(partial.stdout ? [partial.stdout] : [])],
      stderr: [...lines.stderr, ...(partial.stderr ? [partial.stderr] : [])],
    }),
    waitForOutput: (re: RegExp, timeoutMs = 10_000) =>
      new Promise<string>((resolve, reject) => {
        const seen = [...lines.stdout, ...lines.stderr].find((l) => re.test(l));
        if (seen !== undefined) return resolve(seen);
        if (exited) return reject(new Error(`lab: ${cmd.join(' ')} exited before printing ${re}`));
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`lab: ${cmd.join(' ')} printed nothing matching ${re} within ${timeoutMs} ms`));
        }, timeoutMs);
        const w = (line: string | null): void => {
          if (line === null) {
            clearTimeout(timer);
            waiters.delete(w);
            reject(new Error(`lab: ${cmd.join(' ')} exited before printing ${re}`));
          } else if (re.test(line)) {
            clearTimeout(timer);
            waiters.delete(w);
            resolve(line);
          }
        };
        waiters.add(w);
      }),
  };
}

/** A temp directory removed at process exit (and by lab.destroy() if the lab made it). */
export function makeTempDir(prefix = 'kts-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

export function removeTempDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
}

// ---------------------------------------------------------------------------------------------
// addresses

/** Canonical form for comparing addresses (expands IPv6, strips a prefix length). */
export function normalizeIp(ip: string): string {
  const a = ip.split('/')[0].toLowerCase();
  if (!a.includes(':')) return a;
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? new Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((w) => parseInt(w, 16).toString(16)).join(':');
}

function parseAddresses(json: string): AddressInfo[] {
  if (json.trim() === '') return [];
  const links = JSON.parse(json) as Array<{
    ifname: string;
    addr_info?: Array<{ family: string; local: string; prefixlen: number; scope: string; [k: string]: unknown }>;
  }>;
  const out: AddressInfo[] = [];
  for (const l of links) {
    for (const a of l.addr_info ?? []) {
      if (a.family !== 'inet' && a.family !== 'inet6') continue;
      const flags = Object.keys(a).filter((k) => a[k] === true);
      out.push({ dev: l.ifname, family: a.family, address: a.local, prefixlen: a.prefixlen, scope: a.scope, flags });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// the lab

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** a timer that does not keep the process alive (for races against a process exit) */
const idle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

class HostImpl implements Host {
  constructor(
    readonly lab: LabImpl,
    readonly name: string,
    readonly index: number,
    readonly ns: string,
  ) {}
  get ip4(): string {
    return `192.0.2.${10 + this.index}`;
  }
  get ip6(): string {
    return `2001:db8::${10 + this.index}`;
  }
  get mac(): string {
    return `02:00:c0:00:02:${(10 + this.index).toString(16).padStart(2, '0')}`;
  }
  get port(): string {
    return `p${this.index}`;
  }
  exec(cmd: string[], opts?: ExecOptions): Promise<ExecResult> {
    return run(['ip', 'netns', 'exec', this.ns, ...cmd], opts);
  }
  spawn(cmd: string[], opts?: SpawnOptions): ProcessHandle {
    const h = spawnProcess(['ip', 'netns', 'exec', this.ns, ...cmd], { label: `${this.name}`, ...opts });
    this.lab.procs.add(h);
    return h;
  }
  async addresses(dev?: string): Promise<AddressInfo[]> {
    const r = await run(['ip', '-n', this.ns, '-j', 'addr', 'show', ...(dev ? ['dev', dev] : [])], { check: true });
    return parseAddresses(r.stdout);
  }
  async hasAddress(ip: string, dev?: string): Promise<boolean> {
    const want = normalizeIp(ip);
    return (await this.addresses(dev)).some((a) => normalizeIp(a.address) === want);
  }
  async waitForAddress(ip: string, opts: { present?: boolean; timeoutMs?: number; dev?: string } = {}): Promise<number> {
    const present = opts.present ?? true;
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const t0 = Date.now();
    for (;;) {
      if ((await this.hasAddress(ip, opts.dev)) === present) return Date.now() - t0;
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`lab: ${this.name} (${this.ns}): address ${ip} still ${present ? 'absent' : 'present'} after ${timeoutMs} ms`);
      }
      await sleep(10);
    }
  }
  async addVethSpare(name: string, opts: { up?: boolean } = {}): Promise<{ name: string; peer: string }> {
    if (name.length > 15) throw new Error(`lab: interface name '${name}' is longer than IFNAMSIZ-1 (15)`);
    const peer = `sp${++this.lab.spareCounter}`;
    const up = opts.up ?? true;
    await ipBatch(this.ns, [
      `link add ${name} type veth peer name ${peer}`,
      ...(up ? [`link set ${peer} up`, `link set ${name} up`] : []),
    ]);
    return { name, peer };
  }
  async setLink(dev: string, up: boolean): Promise<void> {
    await must(['ip', '-n', this.ns, 'link', 'set', dev, up ? 'up' : 'down']);
  }
}

class LabImpl implements Lab {
  readonly hosts: HostImpl[] = [];
  readonly bridgeNs: string;
  readonly bridge = 'br0';
  readonly farBridge = 'br1';
  readonly procs = new Set<ProcessHandle>();
  readonly captures = new Set<Capture>();
  spareCounter = 0;
  private destroyed: Promise<void> | null = null;
  readonly dirs: string[] = [];

  constructor(
    readonly name: string,
    readonly label: string,
    readonly ipv6Enabled: boolean,
  ) {
    this.bridgeNs = `${name}-b`;
  }

  namespaces(): string[] {
    return [this.bridgeNs, ...this.hosts.map((h) => h.ns)];
  }

  host(ref: HostRef): HostImpl {
    if (ref instanceof HostImpl) return ref;
    const h =
      typeof ref === 'number' ? this.hosts[ref - 1] : this.hosts.find((x) => x.name === ref || x.ns === ref);
    if (!h) throw new Error(`lab ${this.label}: no host ${String(typeof ref === 'object' ? (ref as Host).name : ref)}`);
    return h;
  }

  /** sysctls of a host namespace: no DAD anywhere, so addresses (and link-locals) are usable at once */
  private hostSysctls(ns: string): Promise<string> {
    const keys = [
      'net.ipv6.conf.all.accept_dad=0',
      'net.ipv6.conf.default.accept_dad=0',
      'net.ipv6.conf.all.dad_transmits=0',
      'net.ipv6.conf.default.dad_transmits=0',
    ];
    return must(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', ...keys]);
  }

  async setup(names: string[]): Promise<void> {
    for (const [i, n] of names.entries()) this.hosts.push(new HostImpl(this, n, i + 1, `${this.name}-h${i + 1}`));
    await Promise.all(this.namespaces().map((ns) => must(['ip', 'netns', 'add', ns])));
    await Promise.all([
      ...this.hosts.map((h) => this.hostSysctls(h.ns)),
      // the bridges themselves stay silent on the wire (no IPv6 link-local, RS, MLD of their own)
      must(['ip', 'netns', 'exec', this.bridgeNs, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']),
    ]);
    await ipBatch(this.bridgeNs, [
      'link set lo up',
      `link add ${this.bridge} type bridge mcast_snooping 0 stp_state 0`,
      `link add ${this.farBridge} type bridge mcast_snooping 0 stp_state 0`,
      ...this.hosts.flatMap((h) => this.portLines(h)),
      `link set ${this.bridge} up`,
      `link set ${this.farBridge} up`,
    ]);
    await Promise.all(this.hosts.map((h) => this.hostLinkSetup(h)));
  }

  private portLines(h: HostImpl): string[] {
    return [
      `link add ${h.port} type veth peer name eth0 address ${h.mac} netns ${h.ns}`,
      `link set ${h.port} master ${this.bridge}`,
      `link set ${h.port} up`,
    ];
  }

  private async hostLinkSetup(h: HostImpl): Promise<void> {
    await must(['ip', 'netns', 'exec', h.ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.eth0.accept_dad=0']);
    await ipBatch(h.ns, [
      'link set lo up',
      `addr add ${h.ip4}/24 dev eth0`,
      ...(this.ipv6Enabled ? [`addr add ${h.ip6}/64 dev eth0 nodad`] : []),
      'link set eth0 up',
    ]);
    await waitOperUp(h.ns, 'eth0');
  }

  async addHost(name?: string): Promise<Host> {
    const i = this.hosts.length + 1;
    const h = new HostImpl(this, name ?? `h${i}`, i, `${this.name}-h${i}`);
    if (10 + i > 254) throw new Error('lab: too many hosts');
    this.hosts.push(h);
    await must(['ip', 'netns', 'add', h.ns]);
    await this.hostSysctls(h.ns);
    await ipBatch(this.bridgeNs, this.portLines(h));
    await this.hostLinkSetup(h);
    return h;
  }

  async capture(filter?: string): Promise<Capture> {
    const dir = makeTempDir('kts-cap-');
    this.dirs.push(dir);
    const bridges = [this.bridge, this.farBridge];
    const files = bridges.map((b) => join(dir, `${b}.pcap`));
    const procs = bridges.map((b, i) =>
      spawnProcess(
        [
          'ip', 'netns', 'exec', this.bridgeNs,
          'tcpdump', '-i', b, '-U', '--immediate-mode', '-n', '-s', '0', '-Z', 'root', '-w', files[i],
          ...(filter ? [filter] : []),
        ],
        { label: `tcpdump ${b}` },
      ),
    );
    for (const p of procs) this.procs.add(p);
    try {
      await Promise.all(procs.map((p) => p.waitForOutput(/listening on/, 5_000)));
    } catch (e) {
      for (const p of procs) p.kill('SIGKILL');
      throw new Error(`lab: tcpdump did not start: ${(e as Error).message}; stderr: ${procs.map((p) => p.output().stderr.join(' | ')).join(' / ')}`);
    }
    const read = (): CaptureFrame[] => {
      const all: CaptureFrame[] = [];
      files.forEach((f, i) => {
        if (!existsSync(f) || statSync(f).size < 24) return;
        for (const fr of readPcapFile(f).frames) all.push({ ...fr, bridge: bridges[i] });
      });
      return all.sort((a, b) => a.tsUs - b.tsUs);
    };
    let stopped: CaptureFrame[] | null = null;
    const cap: Capture = {
      frames: () => stopped ?? read(),
      waitFor: async (pred, timeoutMs = 10_000) => {
        const t0 = Date.now();
        for (;;) {
          const fr = cap.frames();
          if (pred(fr)) return fr;
          if (Date.now() - t0 > timeoutMs) throw new Error(`lab: capture condition not met within ${timeoutMs} ms (${fr.length} frames)`);
          await sleep(20);
        }
      },
      stop: async () => {
        if (stopped) return stopped;
        await sleep(50); // let frames in flight reach the packet socket
        for (const p of procs) p.kill('SIGINT');
        await Promise.all(procs.map((p) => Promise.race([p.wait(), idle(3_000).then(() => p.kill('SIGKILL'))])));
        stopped = read();
        this.captures.delete(cap);
        return stopped;
      },
    };
    this.captures.add(cap);
    return cap;
  }

  async partition(groupA: HostRef[], groupB: HostRef[]): Promise<void> {
    const a = new Set(groupA.map((r) => this.host(r)));
    const b = groupB.map((r) => this.host(r));
    for (const h of b) if (a.has(h)) throw new Error(`lab: host ${h.name} is in both partition groups`);
    await ipBatch(this.bridgeNs, [
      ...this.hosts.filter((h) => !b.includes(h)).map((h) => `link set ${h.port} master ${this.bridge}`),
      ...b.map((h) => `link set ${h.port} master ${this.farBridge}`),
    ]);
  }

  async heal(): Promise<void> {
    await ipBatch(this.bridgeNs, this.hosts.map((h) => `link set ${h.port} master ${this.bridge}`));
  }

  async cutLink(ref: HostRef): Promise<void> {
    await must(['ip', '-n', this.bridgeNs, 'link', 'set', this.host(ref).port, 'down']);
  }

  async healLink(ref: HostRef): Promise<void> {
    await must(['ip', '-n', this.bridgeNs, 'link', 'set', this.host(ref).port, 'up']);
  }

  destroy(): Promise<void> {
    if (!this.destroyed) this.destroyed = this.doDestroy();
    return this.destroyed;
  }

  private async doDestroy(): Promise<void> {
    for (const c of [...this.captures]) await c.stop().catch(() => undefined);
    for (const p of this.procs) p.kill('SIGKILL');
    const namespaces = this.namespaces();
    await Promise.all(namespaces.map((ns) => killNamespaceProcesses(ns)));
    await Promise.all([...this.procs].map((p) => Promise.race([p.wait(), idle(2_000)])));
    // hosts first: deleting a host namespace destroys its veth, and with it the bridge port
    await Promise.all(this.hosts.map((h) => run(['ip', 'netns', 'del', h.ns])));
    await run(['ip', 'netns', 'del', this.bridgeNs]);
    const left = listNamespaces().filter((n) => namespaces.includes(n));
    for (const ns of left) deleteNamespaceSync(ns);
    for (const d of this.dirs) removeTempDir(d);
    liveLabs.delete(this);
  }
}

/** Creates a lab; the caller must destroy() it (prefer withLab). */
export async function createLab(opts: LabOptions): Promise<Lab> {
  requireLabPrerequisites();
  installExitHandlers();
  await sweepStaleLabs();
  const names = typeof opts.hosts === 'number' ? Array.from({ length: opts.hosts }, (_, i) => `h${i + 1}`) : opts.hosts;
  if (names.length < 1 || names.length > 200) throw new Error(`lab: host count ${names.length} out of range 1..200`);
  const name = `${PREFIX}${process.pid.toString(36)}-${(labCounter++).toString(36)}`;
  const lab = new LabImpl(name, opts.name ?? name, opts.ipv6 ?? true);
  liveLabs.add(lab);
  try {
    await lab.setup(names);
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

export interface WithLabOptions extends LabOptions {
  /** e.g. the node:test context's `t.signal`: aborting destroys the lab and rejects */
  signal?: AbortSignal;
  /** destroy the lab and reject if the body has not finished by then */
  timeoutMs?: number;
}

/**
 * Creates a lab, runs `body`, and destroys the lab in `finally` — also when the body throws, the
 * signal aborts (a node:test timeout) or `timeoutMs` passes.
 */
export async function withLab<T>(opts: WithLabOptions, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab(opts);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const guards: Array<Promise<never>> = [];
    if (opts.timeoutMs !== undefined) {
      const ms = opts.timeoutMs;
      guards.push(new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`lab ${lab.name}: body did not finish within ${ms} ms`)), ms);
      }));
    }
    if (opts.signal) {
      const signal = opts.signal;
      guards.push(new Promise<never>((_, reject) => {
        onAbort = () => reject(new Error(`lab ${lab.name}: aborted (${String(signal.reason ?? 'test cancelled')})`));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }));
    }
    return await Promise.race([body(lab), ...guards]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort && opts.signal) opts.signal.removeEventListener('abort', onAbort);
    await lab.destroy();
  }
}
