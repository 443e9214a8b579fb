/**
 * One driver for the VRRP end-to-end tables: a scenario runs once per peer combination
 * (keepalived-ts + keepalived-ts, keepalived-ts master + keepalived backup, keepalived master +
 * keepalived-ts backup) in its own lab of three hosts — node1 (192.0.2.11, the configured master),
 * node2 (192.0.2.12, the backup) and a client (192.0.2.13) — with a capture of both bridges.
 *
 * The assertions judge what a user would: who holds the VIP, that the new master's first gratuitous
 * ARP / unsolicited NA is on the wire right after it takes over, and that the client's ping to the VIP
 * is answered by the new master's MAC (a stale neighbour entry would send it to the old one).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { normalizeIp, withLab, type Capture, type CaptureFrame, type Host, type Lab } from './lab';
import { repoRoot, startKeepalived, startKeepalivedTs, type DaemonHandle } from './keepalived';
import { arpInfo, ethDst, ethSrc, icmpInfo, isEchoReply, isEchoRequest, isGratuitousArp, neighborAdvertInfo, vrrpInfo } from './pcap';

export type Impl = 'ts' | 'keepalived';

export interface Combo {
  name: string;
  node1: Impl;
  node2: Impl;
}

/** node1 is the configured master (higher priority), node2 the backup. */
export const COMBOS: readonly Combo[] = [
  { name: 'keepalived-ts + keepalived-ts', node1: 'ts', node2: 'ts' },
  { name: 'keepalived-ts master + keepalived backup', node1: 'ts', node2: 'keepalived' },
  { name: 'keepalived master + keepalived-ts backup', node1: 'keepalived', node2: 'ts' },
];

export const ADVERT_MS = 1000;
/** Slack for process start and scheduling on a loaded 2-core machine (several labs at once). */
export const MARGIN_MS = 1500;

/** RFC 5798 §6.1 Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256. */
export function skewMs(priority: number, advertMs = ADVERT_MS): number {
  return ((256 - priority) * advertMs) / 256;
}

/** RFC 5798 §6.1 Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time. */
export function masterDownMs(priority: number, advertMs = ADVERT_MS): number {
  return 3 * advertMs + skewMs(priority, advertMs);
}

/** A config/examples seed file (they use eth0 and the lab's 192.0.2.11/.12 addresses). */
export function seedConfig(example: string, node: 1 | 2): string {
  return readFileSync(join(repoRoot(), 'config', 'examples', example, `node${node}.conf`), 'utf8');
}

export interface PairLab {
  lab: Lab;
  combo: Combo;
  n1: Host;
  n2: Host;
  client: Host;
  cap: Capture;
  /** starts node 1 or 2 with the implementation the combination gives it */
  start(node: 1 | 2, config: string): DaemonHandle;
  /** capture clock (µs since the epoch) */
  nowUs(): number;
}

const nowUs = (): number => Date.now() * 1000;

/** Runs `body` in a fresh three-host lab; prints daemon logs and the wire on failure; stops daemons. */
export async function withPair(t: TestContext, combo: Combo, body: (p: PairLab) => Promise<void>, timeoutMs = 80_000): Promise<void> {
  await withLab({ hosts: 3, signal: t.signal, timeoutMs }, async (lab) => {
    const [n1, n2, client] = lab.hosts as [Host, Host, Host];
    const cap = await lab.capture();
    const daemons: { label: string; d: DaemonHandle }[] = [];
    const p: PairLab = {
      lab, combo, n1, n2, client, cap, nowUs,
      start(node, config) {
        const impl = node === 1 ? combo.node1 : combo.node2;
        const host = node === 1 ? n1 : n2;
        const d = impl === 'ts' ? startKeepalivedTs(host, config) : startKeepalived(host, config);
        daemons.push({ label: `node${node} ${impl} #${daemons.length + 1}`, d });
        return d;
      },
    };
    const t0 = nowUs();
    try {
      await body(p);
    } catch (e) {
      const out: string[] = [`---- ${combo.name}: ${(e as Error).message}`];
      for (const { label, d } of daemons) out.push(`---- ${label} log:`, ...d.logs().slice(-50));
      out.push('---- wire (last 60 frames):', ...cap.frames().slice(-60).map((f) => describeFrame(f, t0, lab.hosts)));
      console.error(out.join('\n'));
      throw e;
    } finally {
      await Promise.all(daemons.map(({ d }) => d.stop(3000).catch(() => undefined)));
    }
  });
}

/** One `describe` per scenario, one concurrent `it` per peer combination. */
export function pairScenario(name: string, body: (p: PairLab) => Promise<void>, opts: { combos?: readonly Combo[]; timeoutMs?: number } = {}): void {
  describe(name, { concurrency: true }, () => {
    for (const combo of opts.combos ?? COMBOS) {
      it(combo.name, { timeout: (opts.timeoutMs ?? 80_000) + 10_000 }, (t) => withPair(t, combo, body, opts.timeoutMs));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// frames

function hostOfMac(hosts: Host[], mac: string): string {
  return hosts.find((h) => h.mac === mac)?.name ?? mac;
}

export function describeFrame(f: CaptureFrame, t0Us: number, hosts: Host[]): string {
  const t = ((f.tsUs - t0Us) / 1000).toFixed(1).padStart(8);
  const who = `${hostOfMac(hosts, ethSrc(f.frame))}>${hostOfMac(hosts, ethDst(f.frame))}`;
  const v = vrrpInfo(f.frame);
  if (v) return `${t} ms ${f.bridge} ${who} VRRPv${v.version} vrid ${v.vrid} prio ${v.priority} ${v.src} > ${v.dst}`;
  const a = arpInfo(f.frame);
  if (a) return `${t} ms ${f.bridge} ${who} ARP op ${a.op} ${a.senderIp} (${a.senderMac}) > ${a.targetIp}`;
  const na = neighborAdvertInfo(f.frame);
  if (na) return `${t} ms ${f.bridge} ${who} NA target ${na.target} S=${+na.solicited} O=${+na.override} ${na.src} > ${na.dst}`;
  const i = icmpInfo(f.frame);
  if (i) return `${t} ms ${f.bridge} ${who} ICMPv${i.family === 4 ? 4 : 6} type ${i.type} ${i.src} > ${i.dst}`;
  return `${t} ms ${f.bridge} ${who} ${f.frame.length} bytes`;
}

/** A gratuitous ARP (IPv4) or an unsolicited override NA (IPv6) announcing `vip`. */
export function isAnnouncement(f: Buffer, vip: string): boolean {
  if (!vip.includes(':')) return isGratuitousArp(f, vip);
  const na = neighborAdvertInfo(f);
  return na !== null && !na.solicited && na.override && normalizeIp(na.target) === normalizeIp(vip);
}

export function adverts(frames: CaptureFrame[], o: { from?: Host; vrid?: number; priority?: number; afterUs?: number } = {}): CaptureFrame[] {
  return frames.filter((f) => {
    if (o.afterUs !== undefined && f.tsUs < o.afterUs) return false;
    if (o.from && ethSrc(f.frame) !== o.from.mac) return false;
    const v = vrrpInfo(f.frame);
    if (!v || v.type !== 1) return false;
    if (o.vrid !== undefined && v.vrid !== o.vrid) return false;
    return o.priority === undefined || v.priority === o.priority;
  });
}

export function announcements(frames: CaptureFrame[], vip: string, from: Host, afterUs = 0): CaptureFrame[] {
  return frames.filter((f) => f.tsUs >= afterUs && ethSrc(f.frame) === from.mac && isAnnouncement(f.frame, vip));
}

// ---------------------------------------------------------------------------------------------
// assertions

export interface Takeover {
  /** ms from the call until the VIP was seen on the holder */
  waitedMs: number;
  /** the holder's first advert at or after sinceUs */
  advert: CaptureFrame;
  /** the holder's first GARP/NA for the VIP at or after sinceUs */
  garp: CaptureFrame;
  /** the GARPs/NAs of that first burst (within 1 s of the first) */
  burst: CaptureFrame[];
}

/**
 * `holder` gets the VIP within `timeoutMs`, the `released` hosts lose it (or never had it), and the
 * holder's first GARP/NA for it is on the wire after `sinceUs`. With `fresh` (a new master) that
 * announcement follows the holder's first advert within 500 ms, as keepalived sends them back to back,
 * and the burst is 5 (with `log`: plus 5 per lower-priority advert the holder logged, 1.2 s later).
 */
export async function expectTakeover(
  p: PairLab,
  o: {
    vip: string; holder: Host; released?: Host[]; sinceUs: number; timeoutMs: number; vrid?: number; fresh?: boolean;
    /** the holder's daemon and instance: lower-priority adverts it logs add their GARP bursts to the count */
    log?: { daemon: DaemonHandle; instance: string };
  },
): Promise<Takeover> {
  const waitedMs = await o.holder.waitForAddress(o.vip, { timeoutMs: o.timeoutMs });
  for (const h of o.released ?? []) await h.waitForAddress(o.vip, { present: false, timeoutMs: ADVERT_MS + MARGIN_MS });
  const frames = await p.cap.waitFor(
    (fr) => announcements(fr, o.vip, o.holder, o.sinceUs).length > 0 && adverts(fr, { from: o.holder, vrid: o.vrid, afterUs: o.sinceUs }).length > 0,
    2000,
  ).catch(() => {
    throw new Error(`no gratuitous ARP/NA for ${o.vip} from ${o.holder.name} (${o.holder.mac}) on the wire after it took the VIP`);
  });
  const advert = adverts(frames, { from: o.holder, vrid: o.vrid, afterUs: o.sinceUs })[0]!;
  const all = announcements(frames, o.vip, o.holder, o.sinceUs);
  const garp = all[0]!;
  assert.ok(vrrpInfo(advert.frame)!.priority > 0, `${o.holder.name}'s first advert after taking over has priority 0`);
  if (o.fresh ?? true) {
    const gapMs = (garp.tsUs - advert.tsUs) / 1000;
    assert.ok(gapMs > -50 && gapMs < 500, `${o.holder.name}'s first GARP/NA came ${gapMs.toFixed(1)} ms after its first advert (want right after it)`);
  }
  const inWindow = (fr: CaptureFrame[]): CaptureFrame[] => announcements(fr, o.vip, o.holder, o.sinceUs).filter((f) => f.tsUs - garp.tsUs <= 1_000_000);
  const burst = inWindow(frames);
  if (o.fresh ?? true) {
    // keepalived: vrrp_garp_master_repeat (default 5) announcements back to back at takeover
    const more = await p.cap.waitFor((fr) => inWindow(fr).length >= 5, 1500).catch(() => p.cap.frames());
    if (o.log) {
      // ... and garp_lower_prio_repeat (default the same 5) more for each lower-priority advert it
      // hears as MASTER (vrrp.c vrrp_state_master_rx), which both implementations log. Measured: the
      // old master's last advert, queued in the new master's socket while it started, was read 4 ms
      // after its transition. So every such log line is 5 more; counted once the old master is quiet.
      await sleepUntilUs(garp.tsUs + 1_200_000);
      const heard = o.log.daemon.logs().filter((l) => l.includes(`(${o.log!.instance}) Received advert from `) && / with lower priority \d+/.test(l));
      const n = announcements(p.cap.frames(), o.vip, o.holder, o.sinceUs).filter((f) => f.tsUs >= garp.tsUs).length;
      assert.equal(n, 5 * (1 + heard.length), `${o.holder.name} sent ${n} GARPs/NAs for ${o.vip} since its takeover; keepalived sends 5, and 5 more ` +
        `for each lower-priority advert it heard as MASTER (${heard.length})`);
    } else {
      const n = inWindow(more).length;
      assert.equal(n, 5, `${o.holder.name} sent ${n} GARPs/NAs for ${o.vip} in its takeover burst; keepalived sends 5`);
    }
  }
  return { waitedMs, advert, garp, burst };
}

/**
 * The client pings the VIP until a reply comes (within `timeoutMs`), and every echo reply for the VIP
 * seen on the wire since the call came from the holder's MAC.
 */
export async function expectClientReaches(p: PairLab, vip: string, holder: Host, timeoutMs = 5000): Promise<void> {
  const v6 = vip.includes(':');
  const t0 = nowUs();
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await p.client.exec(['ping', v6 ? '-6' : '-4', '-n', '-c', '1', '-W', '1', vip], { timeoutMs: 3000 });
    if (r.code === 0) break;
    last = (r.stdout + r.stderr).trim().split('\n').slice(-2).join(' | ');
    if (Date.now() > deadline) assert.fail(`client ${p.client.name} cannot ping ${vip} within ${timeoutMs} ms: ${last}`);
  }
  const want = normalizeIp(vip);
  const isReply = (f: CaptureFrame): boolean => {
    const i = icmpInfo(f.frame);
    return f.tsUs >= t0 && i !== null && isEchoReply(f.frame) && normalizeIp(i.src) === want;
  };
  const frames = await p.cap.waitFor((fr) => fr.some(isReply), 2000);
  const wrong = frames.filter((f) => isReply(f) && ethSrc(f.frame) !== holder.mac).map((f) => ethSrc(f.frame));
  assert.deepEqual(wrong, [], `echo replies for ${vip} came from ${wrong.join(', ')}, not from ${holder.name} (${holder.mac})`);
  const requests = frames.filter((f) => f.tsUs >= t0 && isEchoRequest(f.frame) && normalizeIp(icmpInfo(f.frame)!.dst) === want);
  const misdirected = requests.filter((f) => ethDst(f.frame) !== holder.mac).map((f) => ethDst(f.frame));
  assert.deepEqual(misdirected, [], `client sent its pings to ${misdirected.join(', ')}, not to ${holder.name} (${holder.mac})`);
}

/**
 * Starts node1, waits until it is in BACKUP with its master-down timer running, then starts node2:
 * node1's (shorter) timer then always runs out first, so the backup never becomes master in between
 * (started at once, the 39 ms between their timers is less than the spread of two daemon starts).
 */
export async function startOrdered(p: PairLab, config1: string, config2: string): Promise<[DaemonHandle, DaemonHandle]> {
  const d1 = p.start(1, config1);
  await d1.waitForLog(/Entering BACKUP STATE/, 10_000);
  return [d1, p.start(2, config2)];
}

/** Resolves at the capture-clock time `us` (at once if it has passed). */
export function sleepUntilUs(us: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, (us - nowUs()) / 1000)));
}

/** The VIP stays away from `host` for `ms` (polled). */
export async function expectNotHeld(host: Host, vip: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  do {
    assert.equal(await host.hasAddress(vip), false, `${host.name} took ${vip}`);
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < end);
}
