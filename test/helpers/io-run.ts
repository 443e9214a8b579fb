/** Runs test/helpers/io-child.js inside a lab host's namespace and reads its JSON lines. */
import path from 'node:path';
import type { Host, ProcessHandle } from './lab';
import type { AddressEvent, AddressInfo, LinkEvent, LinkState, MacvlanMode, ReceivedAdvert, VipSpec, VrrpSocketOptions, VrrpSocketStats } from '../../src/io';

const CHILD = path.join(__dirname, 'io-child.js');

/** One command for io-child (see its header for what each prints). */
export type IoCmd =
  | { op: 'listen'; socket: VrrpSocketOptions }
  | { op: 'send'; socket: VrrpSocketOptions; payloadHex: string; count?: number; intervalMs?: number; dst?: string }
  | { op: 'garp' | 'na'; ifname: string; ip: string }
  | { op: 'frame'; ifname: string; frameHex: string }
  | { op: 'addr-add' | 'addr-del'; vip: VipSpec }
  | { op: 'addr-list'; ifname?: string }
  | { op: 'watch-links' }
  | { op: 'macvlan-add'; parent: string; name: string; mac: string; mode: MacvlanMode }
  | { op: 'link-del'; name: string }
  | { op: 'get-link'; ifname: string };

/** One JSON line io-child prints; which fields are present depends on the command. */
export interface Line {
  ready?: boolean;
  ok?: boolean;
  sent?: number | boolean;
  src?: string;
  mac?: string;
  ifindex?: number;
  frame?: string;
  stats?: VrrpSocketStats;
  error?: { code?: string; errno?: string; message?: string };
  advert?: Omit<ReceivedAdvert, 'payload'> & { payload: string };
  addresses?: AddressInfo[];
  /** watch-links gives a LinkEvent (with type), get-link / macvlan-add a LinkInfo (with addresses) */
  link?: LinkState & { type?: LinkEvent['type']; addresses?: AddressInfo[] };
  address?: AddressEvent;
}

export function childCmd(cmd: IoCmd): string[] {
  return [process.execPath, CHILD, JSON.stringify(cmd)];
}

export function parseLines(text: string | string[]): Line[] {
  const lines = Array.isArray(text) ? text : text.split('\n');
  return lines.filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as Line);
}

/** One-shot command; throws with the child's stderr when it fails or reports an error it should not. */
export async function runIo(host: Host, cmd: IoCmd): Promise<Line> {
  const r = await host.exec(childCmd(cmd), { timeoutMs: 20_000 });
  const lines = parseLines(r.stdout);
  const last = lines[lines.length - 1];
  if (r.code !== 0 || !last) throw new Error(`io-child ${cmd.op} exited ${r.code}: ${r.stdout} ${r.stderr}`);
  return last;
}

export interface IoListener {
  proc: ProcessHandle;
  lines(): Line[];
  waitFor(pred: (l: Line) => boolean, timeoutMs?: number): Promise<Line>;
  stop(): Promise<void>;
}

export async function spawnIo(host: Host, cmd: IoCmd): Promise<IoListener> {
  const proc = host.spawn(childCmd(cmd));
  const lines = () => parseLines(proc.output().stdout);
  const waitFor = async (pred: (l: Line) => boolean, timeoutMs = 5_000): Promise<Line> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines().find(pred);
      if (hit) return hit;
      if (!proc.running() || Date.now() > end) {
        const o = proc.output();
        throw new Error(`io-child ${cmd.op}: expected line not seen (running=${proc.running()}): ${o.stdout.join('\n')} ${o.stderr.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  await waitFor((l) => l.ready === true || l.error !== undefined, 10_000);
  const err = lines().find((l) => l.error);
  if (err) throw new Error(`io-child ${cmd.op} failed: ${JSON.stringify(err.error)}`);
  return {
    proc,
    lines,
    waitFor,
    stop: async () => {
      proc.kill('SIGTERM');
      await proc.wait();
    },
  };
}

export function hex(s: string): string {
  return s.replace(/[^0-9a-fA-F]/g, '').toLowerCase();
}
