/**
 * vrrp_script with real daemons in lab namespaces (keepalived.conf(5) "vrrp_script": weight, rise,
 * fall): MASTER 100 tracks a script with weight -20 (fall 3, rise 2), BACKUP 90. The script starts
 * failing ⇒ after exactly 3 failed runs "VRRP_Script(chk) failed", effective priority 80, the BACKUP
 * takes the VIP; it recovers ⇒ after exactly 2 good runs "VRRP_Script(chk) succeeded", 100 again,
 * and the MASTER preempts back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withLab } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { vrrpInfo } from '../helpers/pcap';
import { appendableFile, logTimeMs, scriptDir, withDaemons } from '../helpers/e2e';

const VIP = '192.0.2.100';

test('vrrp_script weight -20: failing `fall` times moves the VIP to the BACKUP, `rise` successes bring it back', { timeout: 90_000 }, async () => {
  const dir = scriptDir('kts-chk-');
  const runs = appendableFile(dir, 'runs.log');
  const failFlag = path.join(dir, 'fail');
  const chk = path.join(dir, 'chk.sh');
  // one line per run: start time (ms) and outcome; fails while the flag file exists
  fs.writeFileSync(chk, `#!/bin/sh\nt=$(date +%s%3N)\nif [ -e ${failFlag} ]; then echo "$t fail" >> ${runs}; exit 1; fi\necho "$t ok" >> ${runs}\nexit 0\n`, { mode: 0o755 });
  const runsSince = (t0: number, until: number): string[] => fs.readFileSync(runs, 'utf8').split('\n').filter(Boolean)
    .map((l) => l.split(' ')).filter(([t]) => Number(t) >= t0 && Number(t) <= until).map(([, r]) => r!);
  try {
    await withLab({ hosts: 2, timeoutMs: 85_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
      await withDaemons(async (keep) => {
        const a = keep(startKeepalivedTs(h1, [
          vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraGlobal: ['script_user root', 'enable_script_security'], extraInstance: ['track_script {', '  chk', '}'] }),
          'vrrp_script chk {', `  script "${chk}"`, '  interval 1', '  weight -20', '  fall 3', '  rise 2', '}', '',
        ].join('\n')));
        await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
        await a.waitForLog(/VRRP_Script\(chk\) succeeded/, 1000);
        const b = keep(startKeepalivedTs(h2, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] })));
        await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 5000);
        await new Promise((r) => setTimeout(r, 1500));

        const cap = await lab.capture('vrrp');
        const t0 = Date.now();
        fs.writeFileSync(failFlag, '');
        const failedLine = await a.waitForLog(/VRRP_Script\(chk\) failed/, 8000);
        const tFailed = logTimeMs(failedLine);
        assert.deepEqual(runsSince(t0, tFailed), ['fail', 'fail', 'fail'], 'fall 3: the third failure, not an earlier one, marks the script failed');
        await a.waitForLog(/\(VI_1\) Changing effective priority from 100 to 80/, 1000);
        await h2.waitForAddress(VIP, { timeoutMs: 6000 });
        await h1.waitForAddress(VIP, { present: false, timeoutMs: 2000 });
        await a.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 1000);
        const frames = cap.frames().map((f) => vrrpInfo(f.frame)).filter((v) => v && v.src === h1.ip4);
        assert.ok(frames.some((v) => v!.priority === 80), 'the MASTER advertises its effective priority 80 before giving up');
        await cap.stop();

        const t1 = Date.now();
        fs.unlinkSync(failFlag);
        // the first "succeeded" line is from start-up: the recovery is the second one
        const second = await waitForNth(a, /VRRP_Script\(chk\) succeeded/, 2, 6000);
        assert.deepEqual(runsSince(t1, logTimeMs(second)), ['ok', 'ok'], 'rise 2: two good runs bring it back');
        await waitForNth(a, /\(VI_1\) Changing effective priority from 80 to 100/, 1, 1000);
        await h1.waitForAddress(VIP, { timeoutMs: 6000 });
        await h2.waitForAddress(VIP, { present: false, timeoutMs: 2000 });
      }, { logLines: 30, onFailure: () => console.error(fs.readFileSync(runs, 'utf8')) });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function waitForNth(d: DaemonHandle, re: RegExp, n: number, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hits = d.logs().filter((l) => re.test(l));
    if (hits.length >= n) return hits[n - 1]!;
    if (Date.now() > end) throw new Error(`timed out waiting for ${n}× ${re}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
