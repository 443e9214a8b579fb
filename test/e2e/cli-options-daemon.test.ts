/**
 * keepalived(8) options that change what the daemon does, end to end in network namespaces:
 * -R (a crashed child is not respawned: the daemon stops), -a (every netlink address change is
 * logged), -X (an instance that is not MASTER releases its VIPs even if this run did not add them),
 * -C (only the checker side runs: no VRRP instance), -s (run in a network namespace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { withLab } from '../helpers/lab';
import { repoRoot } from '../helpers/config-golden';
import { request } from '../../src/supervisor';
import { startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { dumpLogs } from '../helpers/e2e';
import { dumpState, instanceOf, until } from '../helpers/bench-daemon';

const VIP = '192.0.2.100';

async function stopAll(ds: DaemonHandle[]): Promise<void> {
  await Promise.all(ds.map((d) => d.stop().catch(() => undefined)));
}

test('-R: a VRRP actor that crashes is not restarted; the daemon logs "died: Exiting" and stops (without -R it is restarted)', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    const r = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`] }), { args: ['--enable-fault-injection', '-R'] });
    const plain = startKeepalivedTs(h2!, vrrpConfig({ state: 'MASTER', priority: 100, vrid: 52, vips: ['192.0.2.101/24'] }), { args: ['--enable-fault-injection'] });
    try {
      for (const d of [r, plain]) await until('MASTER', async () => instanceOf(await dumpState(d), 'VI_1').state === 'MASTER', 10_000);
      for (const d of [r, plain]) assert.equal((await request(d.controlSocket, { cmd: 'fault-inject', actor: 'vrrp:VI_1', fault: 'crash' })).ok, true);
      await r.waitForLog(/actor vrrp:VI_1 died: Exiting/, 10_000);
      const end = await Promise.race([r.proc.wait(), new Promise<null>((res) => setTimeout(() => res(null), 10_000))]);
      assert.ok(end, 'the -R daemon exited');
      await plain.waitForLog(/restarted/, 10_000);
      assert.equal(plain.proc.running(), true, 'without -R the daemon keeps running');
    } catch (e) {
      dumpLogs([r, plain], 40);
      throw e;
    } finally {
      await stopAll([r, plain]);
    }
  });
});

test('-a: an address added to and removed from an interface is logged as keepalived logs it; unsupported keywords are logged at start', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const h = lab.hosts[0]!;
    const d = startKeepalivedTs(h, vrrpConfig({ state: 'BACKUP', priority: 100, vips: [`${VIP}/24`], extraGlobal: ['enable_snmp_vrrp'] }), { args: ['-a'] });
    try {
      await d.waitForLog(/Entering BACKUP STATE/, 10_000);
      // the daemon says at start what -t says about keywords it does not act upon
      assert.ok(d.logs().some((l) => /enable_snmp_vrrp: parsed, not acted upon.*E_CONFIG_UNSUPPORTED/.test(l)), 'E_CONFIG_UNSUPPORTED in the log at start');
      await h.exec(['ip', 'addr', 'add', '198.51.100.7/32', 'dev', 'eth0']);
      await d.waitForLog(/Netlink reflector reports IP 198\.51\.100\.7 added to eth0/, 5_000);
      await h.exec(['ip', 'addr', 'del', '198.51.100.7/32', 'dev', 'eth0']);
      await d.waitForLog(/Netlink reflector reports IP 198\.51\.100\.7 removed from eth0/, 5_000);
    } catch (e) {
      dumpLogs([d], 40);
      throw e;
    } finally {
      await stopAll([d]);
    }
  });
});

test('-X: a BACKUP going to FAULT releases a VIP it did not add; without -X the address stays', { timeout: 90_000 }, async (t) => {
  await withLab({ hosts: 3, signal: t.signal, timeoutMs: 85_000 }, async (lab) => {
    const [h1, h2, h3] = lab.hosts;
    const master = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 150, vips: [`${VIP}/24`] }));
    const x = startKeepalivedTs(h2!, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`], extraInstance: ['track_interface {', '  eth0', '}'] }), { args: ['-X'] });
    const plain = startKeepalivedTs(h3!, vrrpConfig({ state: 'BACKUP', priority: 80, vips: [`${VIP}/24`], extraInstance: ['track_interface {', '  eth0', '}'] }));
    try {
      await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
      for (const d of [x, plain]) await d.waitForLog(/Entering BACKUP STATE/, 10_000);
      for (const h of [h2!, h3!]) await h.exec(['ip', 'addr', 'add', `${VIP}/24`, 'dev', 'eth0']);
      for (const h of [h2!, h3!]) await h.setLink('eth0', false);
      for (const d of [x, plain]) await d.waitForLog(/Entering FAULT STATE/, 10_000);
      await h2!.waitForAddress(VIP, { present: false, timeoutMs: 5_000 });
      assert.equal(await h3!.hasAddress(VIP), true, 'without -X the VIP added by hand stays');
    } catch (e) {
      dumpLogs([master, x, plain], 40);
      throw e;
    } finally {
      await stopAll([master, x, plain]);
    }
  });
});

test('-C: only the health-checker side runs; no VRRP instance starts and the VIP never appears (with -P it does)', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    const c = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 255, vips: [`${VIP}/24`] }), { args: ['-C'] });
    const p = startKeepalivedTs(h2!, vrrpConfig({ state: 'MASTER', priority: 255, vrid: 52, vips: ['192.0.2.101/24'] }), { args: ['-P'] });
    try {
      await c.waitForLog(/-C\/--check: only the health-checker side runs/, 10_000);
      await h2!.waitForAddress('192.0.2.101', { timeoutMs: 10_000 });
      assert.deepEqual((await dumpState(c)).vrrp.instances, []);
      assert.equal(await h1!.hasAddress(VIP), false, 'no VIP with -C');
    } catch (e) {
      dumpLogs([c, p], 40);
      throw e;
    } finally {
      await stopAll([c, p]);
    }
  });
});

test('-s NAME: started from the root namespace, the daemon runs inside NAME (its VIP appears there)', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const h = lab.hosts[0]!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-opt-s-'));
    const conf = path.join(dir, 'keepalived.conf');
    const pidFile = path.join(dir, 'main.pid');
    fs.writeFileSync(conf, vrrpConfig({ state: 'MASTER', priority: 255, vips: [`${VIP}/24`] }));
    const p = spawn(process.execPath, [path.join(repoRoot(), 'bin', 'keepalived-ts'), '-s', h.ns, '-n', '-l', '-f', conf, '-p', pidFile, '--control-socket', path.join(dir, 'c.sock')], { detached: true, stdio: 'ignore' });
    const exited = new Promise<void>((res) => p.on('exit', () => res()));
    try {
      await h.waitForAddress(VIP, { timeoutMs: 15_000 });
    } finally {
      try {
        process.kill(Number(fs.readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
      } catch {
        /* not started */
      }
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 10_000))]);
      if (!done) process.kill(-p.pid!, 'SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
