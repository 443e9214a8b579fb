/**
 * The whole daemon on a real IPVS kernel: ONE more boot of ../shared/tools/vm-run runs
 * test/vm/lvs-daemon-batch.ts, which runs keepalived-ts and then keepalived 2.2.7 (VRRP + checkers)
 * on the same director config (a VIP towards a client namespace, a NAT virtual server over two HTTP
 * real servers in their own namespaces). Compared: the settled table; the client reaching the real
 * servers through the VIP; the time until a refused and a dropped real server leaves the table and
 * comes back (printed beside keepalived's); a reload that changes one real server's weight changes
 * that line only; lvs_timeouts (`ipvsadm -L --timeout`) at start, after a reload and after stop; the
 * table after SIGTERM. Then, in the same boot, the two-director pair (test/vm/lvs-pair.ts): kill -9 of
 * the MASTER, the BACKUP takes the VIP and serves, and an established connection survives through the
 * IPVS sync daemon. No VM, no pass.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runVmBatch } from '../helpers/vm';
import { BOUND_MS, type DaemonRun } from '../vm/lvs-daemon-batch';
import type { PairResult } from '../vm/lvs-pair';

const ROOT = path.resolve(__dirname, '../../..');
const BATCH = path.join(__dirname, '../vm/lvs-daemon-batch.js');
/** the VM is emulated (several times slower than the host): this much beyond the bound is allowed */
const EMULATION_SLACK_MS = 1000;

const runs = new Map<string, DaemonRun>();
let pair: PairResult | undefined;
let vmFailure: string | undefined;

before(async () => {
  const run = await runVmBatch(ROOT, BATCH, 400, 'lvs-daemon-vm');
  const { code } = run;
  for (const line of run.stdout.split('\n')) {
    if (line.startsWith('LVS-DAEMON ')) {
      const r = JSON.parse(line.slice('LVS-DAEMON '.length)) as DaemonRun;
      runs.set(r.kind, r);
    }
    if (line.startsWith('LVS-PAIR ')) pair = JSON.parse(line.slice('LVS-PAIR '.length)) as PairResult;
  }
  if (code !== 0 && code !== 1) vmFailure = `vm-run exited ${code}:\n${run.stderr.slice(-4000)}`;
  else if (runs.size !== 2) vmFailure = `the VM batch printed ${runs.size} of 2 results:\n${run.stderr.slice(-4000)}`;
});

function both(): { ours: DaemonRun; ka: DaemonRun } {
  if (vmFailure) assert.fail(vmFailure);
  const ours = runs.get('keepalived-ts')!;
  const ka = runs.get('keepalived')!;
  assert.deepEqual(ours.errors, [], 'keepalived-ts run');
  assert.deepEqual(ka.errors, [], 'keepalived run');
  return { ours, ka };
}

test('the daemon\'s table after start equals keepalived 2.2.7\'s; a client in another namespace reaches the real servers through the VIP', () => {
  const { ours, ka } = both();
  assert.equal(ours.table, 'TCP 192.0.2.100:80 rr\n  -> 198.51.100.11:8080 Masq 1\n  -> 198.51.100.12:8080 Masq 2');
  assert.equal(ours.table, ka.table);
  assert.deepEqual([...new Set(ours.client)].sort(), ['rs1', 'rs2'], `client answers: ${ours.client.join(', ')}`);
});

test('a refused and a dropped real server leave the table within delay_loop + retry × (connect_timeout + delay_before_retry) + 2 s and come back', () => {
  const { ours, ka } = both();
  process.stdout.write(`# bound ${BOUND_MS} ms; refused: ours ${ours.refusedMs} ms, keepalived ${ka.refusedMs} ms; back: ours ${ours.refusedBackMs}, keepalived ${ka.refusedBackMs}\n`);
  process.stdout.write(`# dropped: ours ${ours.droppedMs} ms, keepalived ${ka.droppedMs} ms; back: ours ${ours.droppedBackMs}, keepalived ${ka.droppedBackMs}\n`);
  assert.ok(ours.refusedMs <= BOUND_MS, `refused: ${ours.refusedMs} ms`);
  assert.ok(ours.droppedMs <= BOUND_MS + EMULATION_SLACK_MS, `dropped: ${ours.droppedMs} ms (keepalived ${ka.droppedMs} ms)`);
  assert.ok(ours.refusedBackMs > 0 && ours.droppedBackMs > 0);
});

test('a reload that changes one real server changes that destination only (no flush); SIGTERM leaves the table as keepalived leaves it', () => {
  const { ours, ka } = both();
  assert.deepEqual(ours.reloadChanged.sort(), ['  -> 198.51.100.12:8080 Masq 2', '  -> 198.51.100.12:8080 Masq 3']);
  assert.deepEqual(ours.reloadChanged.sort(), ka.reloadChanged.sort());
  assert.equal(ours.reloadOps, 1, 'the reload sent one IPVS operation (the weight edit), nothing for the unchanged service and destination');
  assert.equal(ours.afterStop, ka.afterStop);
});

test('lvs_timeouts: set at start and on reload, the kernel\'s values back after stop, as keepalived 2.2.7', () => {
  const { ours, ka } = both();
  assert.deepEqual(ours.timeouts, [
    'Timeout (tcp tcpfin udp): 900 120 300',
    'Timeout (tcp tcpfin udp): 7200 60 300',
    'Timeout (tcp tcpfin udp): 3600 60 300',
    'Timeout (tcp tcpfin udp): 900 120 300',
  ]);
  assert.deepEqual(ours.timeouts, ka.timeouts);
});

test('LVS pair: after kill -9 of the MASTER the BACKUP holds the VIP and serves; an established connection survives through lvs_sync_daemon', () => {
  if (vmFailure) assert.fail(vmFailure);
  assert.ok(pair, 'the VM batch printed no LVS-PAIR line');
  process.stdout.write(`# pair: VIP on the BACKUP ${pair.takeoverMs} ms after the kill; echoes ${pair.echoesBefore} before, ${pair.echoesAfter} after\n`);
  if (pair.errors.length) process.stdout.write(`# pair errors:\n${pair.errors.join('\n').replace(/^/gm, '#   ')}\n`);
  assert.deepEqual(pair.errors, []);
  assert.match(pair.syncDaemons, /^d1: master sync daemon \(mcast=eth0, syncid=61.*\| d2: backup sync daemon \(mcast=eth0, syncid=61/);
  // the BACKUP's kernel had the client's connection before the MASTER died: the sync daemon sent it
  const conn = /TCP\s+\S+\s+ESTABLISHED\s+192\.0\.2\.2:\d+\s+192\.0\.2\.100:80\s+198\.51\.100\.11:8080/;
  assert.match(pair.syncedBeforeKill, conn);
  assert.ok(pair.vipOnBackup, 'the BACKUP holds the VIP');
  assert.equal(pair.newConnection, 'hello', 'a new connection through the VIP is served by the BACKUP');
  assert.ok(pair.echoesBefore > 0 && pair.echoesAfter > 0, `the established connection echoed ${pair.echoesBefore} lines before the kill and ${pair.echoesAfter} after`);
  assert.match(pair.syncedConns, conn);
});
