/**
 * vrrp_track_process's scan of the live /proc (keepalived 2.2.7 core/track_process.c reads the same
 * files): a process this test starts is seen by its comm, its cmdline and its parent, and counts
 * toward a quorum. It reads the kernel's process table, so it is an end-to-end file; the parsing and
 * quorum rules are pure and in unit/monitor-process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { initialQuorum, processSpec, scanProc } from '../../src/actors/monitor/actor-process';

test('scanProc sees a running process by its comm and its cmdline', async () => {
  const child = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 100));
    const seen = scanProc(true).get(child.pid!);
    assert.ok(seen, 'the child is in /proc');
    assert.equal(seen.comm, 'sleep');
    assert.deepEqual(seen.cmdline, ['/bin/sleep', '30']);
    assert.equal(seen.ppid, process.pid);
    const spec = processSpec({ process: '/bin/sleep', param: ['30'] });
    assert.ok(initialQuorum(spec, scanProc(true)).pids.some(([p]) => p === child.pid));
  } finally {
    child.kill('SIGKILL');
  }
});
