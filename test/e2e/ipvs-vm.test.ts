/**
 * IPVS on a real kernel: ONE boot of ../shared/tools/vm-run (Debian kernel with IPVS; this host has
 * none) runs test/vm/ipvs-batch.ts, which for each configuration case installs our desired table
 * through src/io/ipvs.ts and compares `ipvsadm -Ln` (sorted, without counters) with keepalived
 * 2.2.7's table for the same configuration, once settled. Also: re-applying changes nothing, a
 * changed weight is one SET that leaves every other entry alone, a service someone else installed
 * survives both our stop and keepalived's, and timeouts / sync daemons round-trip through netlink.
 * No VM, no pass: a missing vm-run or a VM that does not boot fails this file.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CASES, type VmCaseResult, type VmIoResult } from '../vm/ipvs-batch';

const ROOT = path.resolve(__dirname, '../../..');
const BATCH = path.join(__dirname, '../vm/ipvs-batch.js');

function findVmRun(): string {
  const candidates = [process.env.KTS_VM_RUN, path.resolve(ROOT, '../shared/tools/vm-run'), '/work/shared/tools/vm-run'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) assert.fail(`vm-run not found (tried ${candidates.join(', ')}; set KTS_VM_RUN): the IPVS tests need a kernel with IPVS`);
  return found;
}

const results = new Map<string, VmCaseResult>();
let io: VmIoResult | undefined;
let vmFailure: string | undefined;

before(async () => {
  const vmRun = findVmRun();
  const t0 = Date.now();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const p = spawn(vmRun, ['-q', '--timeout', '280', '--', 'node', BATCH], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => err.push(d));
    p.on('error', (e) => { err.push(Buffer.from(String(e))); resolve(null); });
    p.on('close', (c) => resolve(c));
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`# ipvs-vm: one VM run, ${secs} s wall time, exit ${code}\n`);
  const text = Buffer.concat(out).toString();
  for (const line of text.split('\n')) {
    if (line.startsWith('IPVS-RESULT ')) {
      const r = JSON.parse(line.slice('IPVS-RESULT '.length)) as VmCaseResult;
      results.set(r.name, r);
      process.stdout.write(`# ${r.name}: keepalived settled in ${r.keepalivedSettleMs} ms\n`);
    } else if (line.startsWith('IPVS-IO ')) io = JSON.parse(line.slice('IPVS-IO '.length)) as VmIoResult;
  }
  // 0: all cases matched; 1: some case differs (reported per test below); anything else: the VM or the batch broke
  if (code !== 0 && code !== 1) vmFailure = `vm-run exited ${code}:\n${Buffer.concat(err).toString().slice(-4000)}`;
  else if (results.size === 0) vmFailure = `the VM batch printed no result:\n${Buffer.concat(err).toString().slice(-4000)}`;
});

function result(name: string): VmCaseResult {
  if (vmFailure) assert.fail(vmFailure);
  const r = results.get(name);
  if (!r) return assert.fail(`no result for case ${name}`);
  assert.deepEqual(r.errors, []);
  return r;
}

for (const c of CASES) {
  test(`IPVS table for ${c.name} equals keepalived 2.2.7's; re-applying changes nothing; stop leaves what keepalived leaves`, () => {
    const r = result(c.name);
    assert.notEqual(r.ours, '', 'our table is empty');
    assert.equal(r.ours, r.keepalived, `ipvsadm -Ln differs (ours, then keepalived's)`);
    if (c.name === 'alpha') {
      // before its first check result, a real server with a checker is out under alpha, in without
      assert.match(r.ours, /TCP 192\.0\.2\.50:80 wlc\n {2}-> 198\.51\.100\.2:80 Route 2\n/);
      assert.match(r.ours, /TCP 192\.0\.2\.51:80 wlc\n {2}-> 198\.51\.100\.1:80 Route 1\n {2}-> 198\.51\.100\.2:80 Route 2/);
    }
    assert.deepEqual(r.reapply, { ops: 0, changes: 0 }, 'the second application of the same table sent netlink changes');
    assert.deepEqual(r.tun.ours, r.tun.keepalived, 'tunnel type/port/flags of tunnelled destinations');
    if (c.name === 'TUN') assert.deepEqual(r.tun.ours, ['80 -> 198.51.100.1:80 ipip/-/-', '80 -> 198.51.100.2:80 ipip/-/-', '80 -> 198.51.100.3:80 gue/6080/1', '80 -> 198.51.100.4:80 gre/-/0']);
    // a service someone else installed is there before each start: lvs_flush removes it at start, lvs_flush_on_stop at stop
    const foreign = /^TCP 192\.0\.2\.99:9 rr\n {2}-> 198\.51\.100\.99:9 Masq 1$/m;
    assert.equal(foreign.test(r.ours), c.name !== 'lvs_flush', 'the foreign service after our start');
    if (c.name === 'lvs_flush' || c.name === 'lvs_flush_on_stop') assert.equal(r.afterStop.ours, '', 'the table after our stop');
    else assert.match(r.afterStop.ours, new RegExp(`^${foreign.source.slice(1, -1)}$`), 'the foreign service must survive our stop, alone');
    assert.equal(r.afterStop.ours, r.afterStop.keepalived, 'the table after stop differs from keepalived\'s after SIGTERM');
    if (c.reweight) {
      const rw = r.reweight!;
      const [addr, port] = [c.reweight.rs.slice(0, c.reweight.rs.lastIndexOf(':')), c.reweight.rs.slice(c.reweight.rs.lastIndexOf(':') + 1)];
      assert.ok(rw.ops.length >= 1 && rw.ops.every((o) => o.startsWith(`edit-dest ${addr}:`) && o.endsWith(` ${c.reweight!.weight}`)), `weight change ops: ${rw.ops.join(', ')}`);
      assert.equal(rw.changes, rw.ops.length, 'one netlink request per edit, nothing else');
      assert.ok(rw.changedLines.length > 0 && rw.changedLines.every((l) => l.includes(`-> ${addr}:`)), `lines changed beyond ${addr}:${port}: ${rw.changedLines.join(' | ')}`);
    }
  });
}

test('lvs_timeouts are set and restored; lvs_sync_daemon follows its VRRP instance (master, then backup, stopped at shutdown)', () => {
  if (vmFailure) assert.fail(vmFailure);
  assert.ok(io, 'no IPVS-IO result');
  assert.equal(io.info.version >> 16, 1, 'IPVS 1.x');
  assert.deepEqual(io.timeouts.ours, { tcp: 7200, tcpFin: 60, udp: 30 });
  assert.match(io.timeouts.ipvsadm, /Timeout \(tcp tcpfin udp\): 7200 60 30/);
  assert.deepEqual(io.timeouts.restored, io.timeouts.orig);
  // lvs_sync_daemon kts0 VI_1 maxlen 1400 port 8850 ttl 2; the sync id is VI_1's virtual_router_id; group: the kernel's default
  const d = { mcastIfn: 'kts0', syncId: 51, syncMaxlen: 1400, mcastPort: 8850, mcastTtl: 2, mcastGroup: '224.0.0.81' };
  assert.deepEqual(io.daemons.master, [{ state: 'master', ...d }]);
  assert.match(io.daemons.ipvsadmMaster, /^master sync daemon \(mcast=kts0, syncid=51, maxlen=1400, group=224\.0\.0\.81, port=8850, ttl=2\)$/);
  assert.deepEqual(io.daemons.backup, [{ state: 'backup', ...d }]);
  assert.deepEqual(io.daemons.afterStop, []);
});
