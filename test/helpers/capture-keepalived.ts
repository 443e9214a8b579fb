/**
 * Regenerates test/fixtures/keepalived-2.2.7/*.hex: frames of the real keepalived 2.2.7 captured on
 * a lab bridge, for the codec tests (golden vectors from the actual interop peer).
 *
 *   npx tsc -p tsconfig.json --outDir dist-lab && node dist-lab/test/helpers/capture-keepalived.js [OUTDIR]
 *
 * Scenarios (MASTER prio 100 on host1 = 192.0.2.11, BACKUP prio 90 on host2, VRID 51):
 *   v2-multicast   VRRPv2, auth PASS secret1, VIP 192.0.2.100/24; the master is then stopped with
 *                  SIGTERM (priority-0 advert) and the backup takes over
 *   v3-multicast   VRRPv3, VIP 192.0.2.100/24
 *   v3-ipv6        VRRPv3, VIP 2001:db8::100/64 (adverts from the link-local, unsolicited NA)
 *   v2-unicast     VRRPv2, auth PASS secret1, unicast_src_ip/unicast_peer, VIP 192.0.2.100/24
 * Files: one frame per line as hex bytes; lines starting with '#' are comments (see pcap.ts
 * readHexFixture). Timestamps and IP ids vary between runs; the VRRP payloads do not.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withLab, type CaptureFrame } from './lab';
import { repoRoot, startKeepalived, vrrpConfig } from './keepalived';
import { ethSrc, isGratuitousArp, isNeighborAdvert, toHex, vrrpInfo } from './pcap';

export interface ScenarioResult {
  /** fixture base name -> frames (with one comment line each) */
  files: Map<string, Array<{ comment: string; frame: Buffer }>>;
}

interface Scenario {
  name: string;
  version: 2 | 3;
  vip: string;
  unicast?: boolean;
  gracefulStop?: boolean;
}

export const SCENARIOS: Scenario[] = [
  { name: 'v2-multicast', version: 2, vip: '192.0.2.100/24', gracefulStop: true },
  { name: 'v3-multicast', version: 3, vip: '192.0.2.100/24' },
  { name: 'v3-ipv6', version: 3, vip: '2001:db8::100/64' },
  { name: 'v2-unicast', version: 2, vip: '192.0.2.100/24', unicast: true },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function captureScenario(s: Scenario): Promise<ScenarioResult> {
  return withLab({ hosts: 2, name: s.name, timeoutMs: 30_000 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    const vipAddr = s.vip.split('/')[0];
    const v6 = vipAddr.includes(':');
    const conf = (h: typeof h1, peer: typeof h1, state: 'MASTER' | 'BACKUP', priority: number): string =>
      vrrpConfig({
        state,
        priority,
        version: s.version,
        vips: [s.vip],
        ...(s.unicast ? { unicastSrc: h.ip4, unicastPeers: [peer.ip4] } : {}),
      });
    const cap = await lab.capture();
    const master = startKeepalived(h1, conf(h1, h2, 'MASTER', 100));
    const backup = startKeepalived(h2, conf(h2, h1, 'BACKUP', 90));
    await h1.waitForAddress(vipAddr, { timeoutMs: 10_000 });
    const isAnnounce = (f: Buffer): boolean => (v6 ? isNeighborAdvert(f, vipAddr) : isGratuitousArp(f, vipAddr));
    const fromMaster = (fr: CaptureFrame[]): CaptureFrame[] => fr.filter((f) => ethSrc(f.frame) === h1.mac);
    await cap.waitFor((fr) => fromMaster(fr).filter((f) => isAnnounce(f.frame)).length >= 5, 5_000);
    await sleep(1_200); // a couple of steady adverts
    if (s.gracefulStop) {
      await master.stop();
      await h2.waitForAddress(vipAddr, { timeoutMs: 5_000 });
      await cap.waitFor((fr) => fr.filter((f) => ethSrc(f.frame) === h2.mac && isAnnounce(f.frame)).length >= 5, 3_000);
    }
    await backup.stop();
    await master.stop();
    const frames = await cap.stop();

    const files = new Map<string, Array<{ comment: string; frame: Buffer }>>();
    const add = (file: string, comment: string, frame: Buffer): void => {
      const list = files.get(file) ?? [];
      list.push({ comment, frame });
      files.set(file, list);
    };
    const adverts = frames.filter((f) => vrrpInfo(f.frame)?.type === 1 && vrrpInfo(f.frame)?.vrid === 51);
    const m = adverts.filter((f) => ethSrc(f.frame) === h1.mac);
    const first = m.find((f) => vrrpInfo(f.frame)?.priority === 100);
    if (!first) throw new Error(`${s.name}: no advert from the master captured`);
    add(`${s.name}-advert`, `first advertisement, priority 100, from ${h1.mac}`, first.frame);
    const steady = m.filter((f) => f.tsUs > first.tsUs && vrrpInfo(f.frame)?.priority === 100).slice(0, 2);
    steady.forEach((f, i) => add(`${s.name}-advert`, `advertisement ${i + 2} (+${((f.tsUs - first.tsUs) / 1000).toFixed(1)} ms)`, f.frame));
    const announces = frames.filter((f) => ethSrc(f.frame) === h1.mac && isAnnounce(f.frame) && f.tsUs >= first.tsUs).slice(0, 5);
    announces.forEach((f, i) =>
      add(`${s.name}-${v6 ? 'na' : 'garp'}`, `${v6 ? 'unsolicited NA' : 'gratuitous ARP'} ${i + 1} of 5 (+${((f.tsUs - first.tsUs) / 1000).toFixed(3)} ms after the first advert)`, f.frame),
    );
    if (s.gracefulStop) {
      const zero = m.find((f) => vrrpInfo(f.frame)?.priority === 0);
      if (!zero) throw new Error(`${s.name}: no priority-0 advert on SIGTERM`);
      add(`${s.name}-prio0`, `priority-0 advertisement sent by the master on SIGTERM`, zero.frame);
      const b = adverts.find((f) => ethSrc(f.frame) === h2.mac && vrrpInfo(f.frame)?.priority === 90);
      if (!b) throw new Error(`${s.name}: no advert from the backup after takeover`);
      add(`${s.name}-backup-advert`, `first advertisement of the backup (priority 90, ${h2.mac}) after takeover`, b.frame);
    }
    return { files };
  });
}

export async function main(outDir = join(repoRoot(), 'test', 'fixtures', 'keepalived-2.2.7')): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const results = await Promise.all(SCENARIOS.map((s) => captureScenario(s)));
  const written: string[] = [];
  results.forEach((r, i) => {
    const s = SCENARIOS[i];
    for (const [file, frames] of r.files) {
      const header = [
        `# keepalived 2.2.7 (Debian), scenario ${s.name}: VRRPv${s.version}${s.unicast ? ' unicast' : ''}, VRID 51, VIP ${s.vip}` +
          `${s.version === 2 ? ', auth PASS secret1' : ''}; host1 192.0.2.11 / 2001:db8::11 MAC 02:00:c0:00:02:0b MASTER 100, host2 .12 BACKUP 90`,
        '# regenerate: node dist-*/test/helpers/capture-keepalived.js (see that file); one complete Ethernet frame per line',
      ];
      const body = frames.flatMap((f) => [`# ${f.comment}`, toHex(f.frame)]);
      const path = join(outDir, `${file}.hex`);
      writeFileSync(path, [...header, ...body, ''].join('\n'));
      written.push(path);
    }
  });
  return written;
}

if (require.main === module) {
  main(process.argv[2]).then(
    (files) => {
      for (const f of files) process.stdout.write(`${f}\n`);
    },
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
