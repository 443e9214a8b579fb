/**
 * Shared by the daemon e2e tests (test/e2e/daemon-*.test.ts) and bench/failover.ts: run the
 * keepalived-ts CLI next to a running daemon, read its --dump-state, watch a VIP, and pick VRRP
 * frames out of a bridge capture.
 */
import type { AdvertTimingView } from '../../src/daemon/advert-timing';
import { join } from 'node:path';
import { distDirName, repoRoot, type DaemonHandle } from './keepalived';
import type { CaptureFrame, ExecResult, Host } from './lab';
import { vrrpInfo, type VrrpInfo } from './pcap';

/** `node bin/keepalived-ts ARGS` inside the host's namespace (prefix e.g. setpriv to change user). */
export function ktsCli(host: Host, args: string[], opts: { prefix?: string[]; timeoutMs?: number } = {}): Promise<ExecResult> {
  const bin = join(repoRoot(), 'bin', 'keepalived-ts');
  return host.exec([...(opts.prefix ?? []), process.execPath, bin, ...args], {
    env: { ...process.env, KTS_DIST: distDirName() },
    timeoutMs: opts.timeoutMs ?? 15_000,
  });
}

export interface DumpedActor {
  id: string;
  kind: string;
  host: string | null;
  state: string;
  restarts: number;
  lastError: { reason: string; message: string; at: string } | null;
  uptimeMs: number;
  mailbox: number;
}

export interface DumpedInstance {
  name: string;
  state: string;
  priority: number;
  effectivePriority: number;
  master: string | null;
  timers: Record<string, number | null> | null;
  vips: string[];
  vipsHeld: boolean;
  counters: Record<string, number>;
  dropped: Record<string, number>;
  advertTiming: AdvertTimingView | null;
}

export interface DumpedState {
  version: number;
  pid: number;
  actors: DumpedActor[];
  hosts: unknown[];
  stats: { restarts: number; faults: number; hostsTerminated: number; [k: string]: unknown };
  daemon: { pid: number; counters: Record<string, number>; reloads: number; deputy?: { adverts: number; episodes: number; maxFireLateMs: number } | null };
  vrrp: { instances: DumpedInstance[]; sockets: { key: string; dropped: Record<string, number>; stats: unknown }[] };
}

/** `--dump-state --format json` through the CLI (the documented path); throws unless it answers ok. */
export async function dumpState(d: DaemonHandle): Promise<DumpedState> {
  const r = await ktsCli(d.host, ['--dump-state', '--control-socket', d.controlSocket, '--format', 'json']);
  if (r.code !== 0) throw new Error(`--dump-state exited ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
  const resp = JSON.parse(r.stdout) as { ok: boolean; cmd: string; data: DumpedState };
  if (!resp.ok) throw new Error(`--dump-state refused: ${r.stdout}`);
  return resp.data;
}

export function actorOf(s: DumpedState, id: string): DumpedActor {
  const a = s.actors.find((x) => x.id === id);
  if (!a) throw new Error(`no actor ${id} in dump-state (have ${s.actors.map((x) => x.id).join(', ')})`);
  return a;
}

export function instanceOf(s: DumpedState, name: string): DumpedInstance {
  const i = s.vrrp.instances.find((x) => x.name === name);
  if (!i) throw new Error(`no vrrp instance ${name} in dump-state`);
  return i;
}

/** Sum of every drop counter (per-socket and per-instance), by reason. */
export function dropsByReason(s: DumpedState): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (m: Record<string, number>): void => {
    for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
  };
  for (const sk of s.vrrp.sockets) add(sk.dropped);
  for (const i of s.vrrp.instances) add(i.dropped);
  return out;
}

/**
 * Polls `ip addr` every `periodMs` until stopped; reports how many samples saw the address missing.
 * The address must already be present when the watch starts.
 */
export function watchAddress(host: Host, ip: string, periodMs = 25): { stop(): Promise<{ samples: number; absent: number }> } {
  let running = true;
  let samples = 0;
  let absent = 0;
  const loop = (async () => {
    while (running) {
      samples++;
      try {
        if (!(await host.hasAddress(ip))) absent++;
      } catch {
        break; // the lab is gone (a failed test tore it down)
      }
      await new Promise((r) => setTimeout(r, periodMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { samples, absent };
    },
  };
}

export interface AdvertFrame extends VrrpInfo {
  tsUs: number;
}

/** VRRP adverts in a capture, optionally only those from `src` (and VRID). */
export function adverts(frames: CaptureFrame[], filter: { src?: string; vrid?: number } = {}): AdvertFrame[] {
  const out: AdvertFrame[] = [];
  for (const f of frames) {
    const v = vrrpInfo(f.frame);
    if (!v || v.type !== 1) continue;
    if (filter.src !== undefined && v.src !== filter.src) continue;
    if (filter.vrid !== undefined && v.vrid !== filter.vrid) continue;
    out.push({ ...v, tsUs: f.tsUs });
  }
  return out;
}

/** A keepalived.conf with several instances (`vrrp_version` global; PASS auth for v2). */
export function instancesConfig(p: {
  version?: 2 | 3;
  extraGlobal?: string[];
  instances: { name: string; state: 'MASTER' | 'BACKUP'; vrid: number; priority: number; vips: string[]; advertInt?: number; extra?: string[] }[];
}): string {
  const v = p.version ?? 2;
  const lines = ['global_defs {', `  vrrp_version ${v}`, ...(p.extraGlobal ?? []).map((l) => `  ${l}`), '}', ''];
  for (const i of p.instances) {
    lines.push(`vrrp_instance ${i.name} {`, `  state ${i.state}`, '  interface eth0', `  virtual_router_id ${i.vrid}`, `  priority ${i.priority}`, `  advert_int ${i.advertInt ?? 1}`);
    if (v === 2) lines.push('  authentication {', '    auth_type PASS', '    auth_pass secret1', '  }');
    lines.push('  virtual_ipaddress {', ...i.vips.map((x) => `    ${x}`), '  }', ...(i.extra ?? []).map((l) => `  ${l}`), '}', '');
  }
  return lines.join('\n');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `fn` (sync or async) until it returns a truthy value; throws with `what` after timeoutMs. A
 * throw from `fn` counts as "not yet" and is quoted in the timeout error.
 */
export async function until<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 10_000, periodMs = 50): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(periodMs);
  }
}
