/**
 * track_file with real daemons in lab namespaces (keepalived.conf(5) "track_file": the value read from
 * the file × weight is added to the priority; weight 0 ⇒ a non-zero value is FAULT; init_file).
 *  1. keepalived-ts MASTER 100 tracks a file with weight -30, keepalived 2.2.7 BACKUP 90:
 *     `echo 1 > f` ⇒ effective priority 70 on the wire, keepalived takes the VIP; `echo 0 > f` ⇒ 100,
 *     the VIP comes back.
 *  2. `track_file { chk weight 0 }`: `echo 5 > f` ⇒ FAULT, a priority-0 advert on the wire, the peer
 *     takes over; `echo 0 > f` ⇒ out of FAULT and MASTER again. --dump-state lists the file.
 *  3. `init_file 1 overwrite` writes "1\n" before start: the instance starts at 70, never advertising 100.
 *  4. vrrp_sync_group `track_file { chk }` (weight -30 on the file, but a group's tracking has weight 0
 *     unless sync_group_tracking_weight): a non-zero value puts both members in FAULT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withLab } from '../helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { vrrpInfo } from '../helpers/pcap';
import { dumpState, until } from '../helpers/bench-daemon';
import { scriptDir, withDaemons } from '../helpers/e2e';

const VIP = '192.0.2.100';

test('track_file weight -30: `echo 1 > f` lowers the priority to 70 and keepalived 2.2.7 takes the VIP, `echo 0 > f` brings it back', { timeout: 60_000 }, async () => {
  const dir = scriptDir('kts-tf-');
  const f = path.join(dir, 'prio');
  fs.writeFileSync(f, '0\n');
  try {
    await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
      await withDaemons(async (keep) => {
        const a = keep(startKeepalivedTs(h1, [
          vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: ['track_file {', '  chk', '}'] }),
          'track_file chk {', `  file ${f}`, '  weight -30', '}', '',
        ].join('\n')));
        await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
        const b = keep(startKeepalived(h2, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] })));
        await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 6000);
        await new Promise((r) => setTimeout(r, 1200));

        const cap = await lab.capture('vrrp');
        await h1.exec(['sh', '-c', `echo 1 > ${f}`], { check: true });
        await a.waitForLog(/\(VI_1\) Changing effective priority from 100 to 70/, 3000);
        await h2.waitForAddress(VIP, { timeoutMs: 6000 });
        await h1.waitForAddress(VIP, { present: false, timeoutMs: 3000 });
        await b.waitForLog(/\(VI_1\) Entering MASTER STATE/, 1000);
        const mine = cap.frames().map((x) => vrrpInfo(x.frame)).filter((v) => v && v.src === h1.ip4);
        assert.ok(mine.some((v) => v!.priority === 70), 'keepalived-ts advertises 100 - 30 = 70');
        assert.ok(!mine.some((v) => v!.priority === 0), 'a weighted track_file never means FAULT');
        await cap.stop();

        await h1.exec(['sh', '-c', `echo 0 > ${f}`], { check: true });
        await a.waitForLog(/\(VI_1\) Changing effective priority from 70 to 100/, 3000);
        await h1.waitForAddress(VIP, { timeoutMs: 6000 });
        await h2.waitForAddress(VIP, { present: false, timeoutMs: 3000 });
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('track_file weight 0: a non-zero value is FAULT (priority-0 advert, the BACKUP takes over), 0 leaves FAULT', { timeout: 60_000 }, async () => {
  const dir = scriptDir('kts-tf-');
  const f = path.join(dir, 'state');
  try {
    await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
      await withDaemons(async (keep) => {
        // the file does not exist yet: a missing file reads as 0
        const a = keep(startKeepalivedTs(h1, [
          vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: ['track_file {', '  chk weight 0', '}'] }),
          'track_file chk {', `  file ${f}`, '}', '',
        ].join('\n')));
        await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
        const b = keep(startKeepalivedTs(h2, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] })));
        await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 6000);
        await new Promise((r) => setTimeout(r, 1200));

        const cap = await lab.capture('vrrp');
        await h1.exec(['sh', '-c', `echo 5 > ${f}`], { check: true });
        await a.waitForLog(/\(VI_1\) Entering FAULT STATE/, 3000);
        await h2.waitForAddress(VIP, { timeoutMs: 3000 });
        await h1.waitForAddress(VIP, { present: false, timeoutMs: 2000 });
        const mine = cap.frames().map((x) => vrrpInfo(x.frame)).filter((v) => v && v.src === h1.ip4);
        assert.ok(mine.some((v) => v!.priority === 0), 'leaving MASTER for FAULT sends a priority-0 advert');
        await cap.stop();

        const s = await dumpState(a);
        const vrrp = (s as unknown as { vrrp: { files: { name: string; value: number }[]; instances: { name: string; fault: boolean; faultReasons: string[] }[] } }).vrrp;
        assert.deepEqual(vrrp.files.map((x) => [x.name, x.value]), [['chk', 5]], '--dump-state lists the tracked file and its value');
        const vi = vrrp.instances.find((i) => i.name === 'VI_1')!;
        assert.equal(vi.fault, true);
        assert.ok(vi.faultReasons.some((r) => /track_file chk/.test(r)), `fault reason names the file: ${vi.faultReasons.join('; ')}`);

        await h1.exec(['sh', '-c', `echo 0 > ${f}`], { check: true });
        await a.waitForLog(/\(VI_1\) Entering (BACKUP|MASTER) STATE/, 3000);
        await h1.waitForAddress(VIP, { timeoutMs: 8000 });
        await until('VI_1 MASTER again', async () => a.logs().filter((l) => /\(VI_1\) Entering MASTER STATE/.test(l)).length >= 2, 3000);
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('init_file 1 overwrite: the file is (re)written with "1\\n" before start and the instance starts at 100 - 30', { timeout: 40_000 }, async () => {
  const dir = scriptDir('kts-tf-');
  const f = path.join(dir, 'prio');
  fs.writeFileSync(f, '0\n');
  try {
    await withLab({ hosts: 1, timeoutMs: 35_000 }, async (lab) => {
      const h1 = lab.hosts[0]!;
      const cap = await lab.capture('vrrp');
      await withDaemons(async (keep) => {
        keep(startKeepalivedTs(h1, [
          vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: ['track_file {', '  chk', '}'] }),
          'track_file chk {', `  file ${f}`, '  weight -30', '  init_file 1 overwrite', '}', '',
        ].join('\n')));
        await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
        assert.equal(fs.readFileSync(f, 'utf8'), '1\n', 'init_file overwrote the file');
        await new Promise((r) => setTimeout(r, 1500));
        const mine = (await cap.stop()).map((x) => vrrpInfo(x.frame)).filter((v) => v && v.src === h1.ip4);
        assert.ok(mine.length >= 2, 'the MASTER advertises');
        assert.deepEqual([...new Set(mine.map((v) => v!.priority))], [70], 'every advert carries 70, from the first one');
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('vrrp_sync_group track_file: the group tracks with weight 0, so a non-zero value puts every member in FAULT', { timeout: 40_000 }, async () => {
  const dir = scriptDir('kts-tf-');
  const f = path.join(dir, 'grp');
  fs.writeFileSync(f, '0\n');
  try {
    await withLab({ hosts: 1, timeoutMs: 35_000 }, async (lab) => {
      const h1 = lab.hosts[0]!;
      await withDaemons(async (keep) => {
        const a = keep(startKeepalivedTs(h1, [
          'global_defs {', '  vrrp_version 2', '}',
          'track_file chk {', `  file ${f}`, '  weight -30', '}',
          'vrrp_sync_group G1 {', '  group {', '    VI_1', '    VI_2', '  }', '  track_file {', '    chk', '  }', '}',
          ...[1, 2].flatMap((n) => [
            `vrrp_instance VI_${n} {`, '  state MASTER', '  interface eth0', `  virtual_router_id ${50 + n}`, '  priority 100', '  advert_int 1',
            '  virtual_ipaddress {', `    192.0.2.${99 + n}/24`, '  }', '}',
          ]), '',
        ].join('\n')));
        await h1.waitForAddress('192.0.2.100', { timeoutMs: 10_000 });
        await h1.waitForAddress('192.0.2.101', { timeoutMs: 3000 });
        await h1.exec(['sh', '-c', `echo 1 > ${f}`], { check: true });
        await a.waitForLog(/\(VI_1\) Entering FAULT STATE/, 3000);
        await a.waitForLog(/\(VI_2\) Entering FAULT STATE/, 1000);
        assert.ok(!a.logs().some((l) => /Changing effective priority/.test(l)), 'the group\'s tracking is unweighted: no priority change');
        await h1.waitForAddress('192.0.2.100', { present: false, timeoutMs: 2000 });
        await h1.waitForAddress('192.0.2.101', { present: false, timeoutMs: 2000 });
        await h1.exec(['sh', '-c', `echo 0 > ${f}`], { check: true });
        await h1.waitForAddress('192.0.2.100', { timeoutMs: 8000 });
        await h1.waitForAddress('192.0.2.101', { timeoutMs: 3000 });
      });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
