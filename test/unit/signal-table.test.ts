import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SIGNAL_FUNCTIONS, signumOf, actionOf, caughtSignals, signalName } from '../../src/daemon/signal-table';
import { repoRoot, distDirName, KEEPALIVED_BIN } from '../helpers/keepalived';

const BIN = path.join(repoRoot(), 'bin', 'keepalived-ts');

function run(cmd: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { ...process.env, KTS_DIST: distDirName() } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Names keepalived 2.2.7 accepts (lib/signals.c get_signum), names it refuses (case matters, TDUMP
// only in THREAD_DUMP builds, our old TDATA), and numbers or signal names people try instead.
const CANDIDATES = [
  ...Object.keys(SIGNAL_FUNCTIONS),
  'TDUMP', 'TDATA', 'stop', 'json', 'Json', 'STATS-CLEAR', 'SIGTERM', 'TERM', 'HUP', '15', 'JSON ', ' JSON', 'BOGUS',
];

test('--signum=NAME: keepalived-ts prints what keepalived 2.2.7 prints and exits with its status, for every name', () => {
  const accepted: string[] = [];
  for (const name of CANDIDATES) {
    const theirs = run([KEEPALIVED_BIN, `--signum=${name}`]);
    const ours = run([process.execPath, BIN, `--signum=${name}`]);
    assert.equal(ours.code, theirs.code, `--signum=${name}: exit status`);
    assert.equal(ours.stdout, theirs.stdout, `--signum=${name}: stdout`);
    assert.equal(ours.stderr.trim(), theirs.stderr.trim(), `--signum=${name}: stderr`);
    if (theirs.code === 0) accepted.push(name);
  }
  // every name keepalived accepts is in our table and nothing else is
  assert.deepEqual(accepted.sort(), Object.keys(SIGNAL_FUNCTIONS).sort());
});

test('signal table: JSON is SIGRTMIN+2 (36) and STATS_CLEAR SIGRTMAX-1 (63) with glibc numbering', () => {
  assert.equal(signumOf('JSON'), 36);
  assert.equal(signumOf('STATS_CLEAR'), 63);
  assert.equal(signumOf('toString'), undefined);
  assert.equal(actionOf(36), 'json');
  assert.equal(actionOf(63), 'stats-clear');
  assert.equal(actionOf(34), 'ignore'); // SIGRTMIN: not keepalived's, ignored like keepalived does
  assert.equal(actionOf(2), 'stop');
  assert.equal(actionOf(10), 'data');
  assert.equal(actionOf(12), 'stats');
  assert.equal(actionOf(1), 'reload');
  const caught = caughtSignals();
  for (const s of [1, 2, 10, 12, 15, 34, 36, 63, 64]) assert.ok(caught.includes(s), `catches ${s}`);
  assert.ok(!caught.includes(32) && !caught.includes(33), 'glibc-internal signals are left alone');
  assert.equal(signalName(36), 'SIGRTMIN+2');
  assert.equal(signalName(63), 'SIGRTMAX-1');
  assert.equal(signalName(64), 'SIGRTMAX');
});
