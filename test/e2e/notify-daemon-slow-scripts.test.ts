/**
 * Notify scripts never touch the VRRP timeline: a notify_master that sleeps 60 s and a generic
 * notify that does not exist, on both nodes. On the wire the MASTER keeps its 1 s advert spacing
 * and the failover after kill -9 takes the usual 3 × 1 s + skew; the daemon logs both failures with
 * their codes and kills the sleeping script at our notify_script_timeout (2 s here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withLab } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { vrrpInfo } from '../helpers/pcap';
import { until } from '../helpers/bench-daemon';
import { appendableFile, logTimeMs, scriptDir, withDaemons } from '../helpers/e2e';

const VIP = '192.0.2.100';

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('a notify script sleeping 60 s and a missing one: advert spacing and failover time unchanged, both logged, the sleeper killed at notify_script_timeout', { timeout: 60_000 }, async () => {
  const dir = scriptDir('kts-slow-');
  const pids = appendableFile(dir, 'pids');
  const sleeper = path.join(dir, 'sleep.sh');
  fs.writeFileSync(sleeper, `#!/bin/sh\necho "$1 $$" >> ${pids}\nexec sleep 60\n`, { mode: 0o755 });
  const missing = path.join(dir, 'does-not-exist.sh');
  const pidOf = (tag: string): number | undefined => {
    const l = fs.readFileSync(pids, 'utf8').split('\n').find((x) => x.startsWith(`${tag} `));
    return l ? Number(l.split(' ')[1]) : undefined;
  };
  const conf = (state: 'MASTER' | 'BACKUP', priority: number, tag: string): string => vrrpConfig({
    state, priority, vips: [`${VIP}/24`],
    extraGlobal: ['script_user root', 'enable_script_security', 'notify_script_timeout 2'],
    extraInstance: [`notify_master "${sleeper} ${tag}"`, `notify "${missing}"`],
  });
  try {
    await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
      const cap = await lab.capture('vrrp');
      await withDaemons(async (keep) => {
        const a = keep(startKeepalivedTs(h1, conf('MASTER', 100, 'h1')));
        const init = await a.waitForLog(/\(VI_1\) Entering BACKUP STATE \(init\)/, 5000);
        const master = await a.waitForLog(/\(VI_1\) Entering MASTER STATE/, 8000);
        const took = logTimeMs(master) - logTimeMs(init);
        assert.ok(took >= 3500 && took <= 3800, `MASTER after ${took} ms (expected ≈ 3610 ms)`);
        await h1.waitForAddress(VIP, { timeoutMs: 1000 });
        await until('the sleeping notify_master to start', () => pidOf('h1') !== undefined, 2000, 25);
        const sleeperPid = pidOf('h1')!;
        assert.ok(alive(sleeperPid), 'notify_master is running');
        await a.waitForLog(/E_SCRIPT_NOT_FOUND.*does-not-exist\.sh|does-not-exist\.sh.*E_SCRIPT_NOT_FOUND/, 2000);
        // notify_script_timeout 2: SIGTERM at 2 s (sleep dies on it)
        await a.waitForLog(/E_SCRIPT_TIMEOUT/, 5000);
        await until('the sleeping script to be killed', () => !alive(sleeperPid), 3000, 25);

        const b = keep(startKeepalivedTs(h2, conf('BACKUP', 90, 'h2')));
        await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 5000);
        await new Promise((r) => setTimeout(r, 3500));
        await a.kill9();
        await h2.waitForAddress(VIP, { timeoutMs: 6000 });
        await b.waitForLog(/E_SCRIPT_NOT_FOUND/, 2000);
        await until('the BACKUP\'s sleeping notify_master', () => pidOf('h2') !== undefined, 2000, 25);
        await new Promise((r) => setTimeout(r, 1500)); // a few adverts of the new master
        const frames = await cap.stop();
        const adverts = frames.filter((f) => vrrpInfo(f.frame)?.type === 1);
        const fromA = adverts.filter((f) => vrrpInfo(f.frame)!.src === h1.ip4).map((f) => f.tsUs / 1000);
        const fromB = adverts.filter((f) => vrrpInfo(f.frame)!.src === h2.ip4).map((f) => f.tsUs / 1000);
        assert.ok(fromA.length >= 6, `MASTER sent ${fromA.length} adverts`);
        // after the first advert (the takeover), every gap is the advert interval
        const gaps = fromA.slice(1).map((t, i) => t - fromA[i]!);
        for (const g of gaps) assert.ok(g > 950 && g < 1050, `advert spacing ${g.toFixed(1)} ms (all: ${gaps.map((x) => x.toFixed(0)).join(' ')})`);
        const lastA = fromA[fromA.length - 1]!;
        const firstB = fromB.find((t) => t > lastA);
        assert.ok(firstB !== undefined, 'the BACKUP took over');
        const failover = firstB - lastA;
        assert.ok(failover > 3500 && failover < 3800, `failover ${failover.toFixed(1)} ms (keepalived: 3649 ms)`);
      }, { logLines: 30 });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
