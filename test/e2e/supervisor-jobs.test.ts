import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JobPool } from '../../src/supervisor';

const FIX = path.join(__dirname, '..', 'fixtures', 'actors');
const pool = new JobPool({ maxScripts: 4 });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-jobs-'));
fs.chmodSync(dir, 0o755); // scripts run as nobody in one test
after(async () => {
  await pool.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}
/** Running (a zombie waiting for a reaper does not count). */
const alive = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

test('script timeout: a script sleeping 60 s is killed at its timeout, with its whole process group', async () => {
  const pidFile = path.join(dir, 'bg.pid');
  const s = script('sleepy.sh', `sleep 60 & echo $! > ${pidFile}\necho started\nsleep 60`);
  const r = await pool.runJob('script', { argv: [s], timeoutMs: 300 });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(r.code, null);
  assert.equal(r.stdout, 'started\n');
  assert.ok(r.durationMs >= 290 && r.durationMs < 2000, `took ${r.durationMs} ms`);
  const bg = Number(fs.readFileSync(pidFile, 'utf8'));
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(alive(bg), false, 'the background child of the script was killed too');
});

test('script: a missing script is a clear E_SCRIPT_NOT_FOUND error; a non-executable one E_SCRIPT_NOT_EXECUTABLE', async () => {
  await assert.rejects(pool.runJob('script', { argv: ['/etc/keepalived/no-such-notify.sh', 'INSTANCE'], timeoutMs: 1000 }),
    { code: 'E_SCRIPT_NOT_FOUND', message: 'script not found: /etc/keepalived/no-such-notify.sh' });
  const p = path.join(dir, 'noexec.sh');
  fs.writeFileSync(p, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  await assert.rejects(pool.runJob('script', { argv: [p], timeoutMs: 1000 }), { code: 'E_SCRIPT_NOT_EXECUTABLE' });
});

test('script: exit code, arguments, uid/gid, umask and a clean environment reach the child', async () => {
  const s = script('show.sh', 'echo "$@"; id -u; id -g; umask; echo "HOME=${HOME:-unset}"; exit 3');
  const r = await pool.runJob('script', { argv: [s, 'INSTANCE', 'VI_1', 'MASTER', '100'], timeoutMs: 5000, uid: 65534, gid: 65534, umask: 0o177 });
  assert.equal(r.code, 3);
  assert.equal(r.timedOut, false);
  assert.equal(r.stdout, 'INSTANCE VI_1 MASTER 100\n65534\n65534\n0177\nHOME=unset\n');
});

test('script: an AbortController stops a running script', async () => {
  const s = script('long.sh', 'sleep 60');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const r = await pool.runJob('script', { argv: [s], timeoutMs: 60_000, signal: ac.signal });
  assert.equal(r.aborted, true);
  assert.equal(r.timedOut, false);
  assert.ok(r.durationMs < 2000);
});

test('runTask: returns the task\'s value, its error code, and E_JOB_TIMEOUT for a task that never ends', async () => {
  const mod = path.join(FIX, 'task.js');
  assert.deepEqual(await pool.runTask(mod, { mode: 'echo', value: [1, 'a'] }, { timeoutMs: 5000 }), { echoed: [1, 'a'] });
  await assert.rejects(pool.runTask(mod, { mode: 'fail' }, { timeoutMs: 5000 }), { code: 'E_TEST_TASK' });
  const t0 = performance.now();
  await assert.rejects(pool.runTask(mod, { mode: 'spin' }, { timeoutMs: 200 }), { code: 'E_JOB_TIMEOUT' });
  assert.ok(performance.now() - t0 < 2000);
  // the pool still works after a timed-out task
  assert.deepEqual(await pool.runTask(mod, { mode: 'echo', value: 2 }, { timeoutMs: 5000 }), { echoed: 2 });
});
