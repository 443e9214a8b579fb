/**
 * The whole daemon on a real IPVS kernel: ONE more boot of ../shared/tools/vm-run runs
 * test/vm/lvs-daemon-batch.ts, which runs keepalived-ts and then keepalived 2.2.7 (VRRP + checkers)
 * on the same director config (a VIP towards a client namespace, a NAT virtual server over two HTTP
 * real servers in their own namespaces). Compared: the settled table; the client reaching the real
 * servers through the VIP; the time until a refused and a dropped real server leaves the table and
 * comes back (printed beside keepalived's); a reload that changes one real server's weight changes
 * that line only; the table after SIGTERM. No VM, no pass. (The two-director pair, test/vm/lvs-pair.ts,
 * is not asserted here yet: see its header.)
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runVmBatch } from '../helpers/vm';
import { BOUND_MS, type DaemonRun } from '../vm/lvs-daemon-batch';

const ROOT = path.resolve(__dirname, '../../..');
const BATCH = path.join(__dirname, '../vm/lvs-daemon-batch.js');
/** the VM is emulated (several times slower than the host): this much beyond the bound is allowed */
const EMULATION_SLACK_MS = 1000;

const runs = new Map<string, DaemonRun>();
let vmFailure: string | undefined;

before(async () => {
  const run = await runVmBatch(ROOT, BATCH, 400, 'lvs-daemon-vm');
  const { code } = run;
  for (const line of run.stdout.split('\n')) {
    if (line.startsWith('LVS-DAEMON ')) {
      const r = JSON.parse(line.slice('LVS-DAEMON '.length)) as DaemonRun;
      runs.set(r.kind, r);
    }
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
