/**
 * The daemon's one script pool (ScriptJobs: piscina job → actors/notifier/script-job → monitor/script
 * runScript), driven the way the daemon drives it: timeouts kill the script's whole process group with
 * SIGTERM and, after keepalived's 2 s grace (vrrp_scheduler.c: SIGTERM, then SIGKILL 2 s later),
 * SIGKILL; an abort (a vrrp_script removed by a reload) does the same; missing and non-executable
 * scripts are reported by code; argv, uid/gid, umask 0177 and the daemon's environment reach the child;
 * a script the security audit disabled never runs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pino } from 'pino';
import { ScriptJobs } from '../../src/daemon/script-jobs';
import type { JobDone } from '../../src/actors/notifier/job-messages';
import { lookupUser } from '../../src/actors/notifier/security';
import { appendableFile, scriptDir } from '../helpers/e2e';

const quiet = pino({ level: 'silent' });
const dir = scriptDir('kts-jobs-');
const jobs = new ScriptJobs(quiet, { isInsecure: (a) => a.endsWith('/insecure.sh') });
after(async () => {
  await jobs.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function script(name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readPid = (f: string): number => Number(fs.readFileSync(f, 'utf8'));
/** Running: a zombie (dead, its parent gone and this sandbox's init not reaping it) does not count. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('timeout: a script sleeping 60 s is killed at its timeout with SIGTERM, with its whole process group', async () => {
  const pidFile = appendableFile(dir, 'bg.pid');
  const s = script('sleepy.sh', `sleep 60 & echo $! > ${pidFile}\nwait`);
  const r = await jobs.run({ argv: [s], timeoutMs: 300 });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGTERM');
  assert.equal(r.code, null);
  assert.ok(r.durationMs >= 290 && r.durationMs < 2000, `took ${r.durationMs} ms`);
  await sleep(100);
  assert.equal(running(readPid(pidFile)), false, 'the background child of the script was killed too');
});

test('timeout: a script that ignores SIGTERM gets SIGKILL after keepalived\'s 2 s grace', async () => {
  const s = script('stubborn.sh', "trap '' TERM\nwhile :; do sleep 0.05; done");
  const r = await jobs.run({ argv: [s], timeoutMs: 200 });
  assert.equal(r.timedOut, true);
  assert.equal(r.signal, 'SIGKILL');
  assert.ok(r.durationMs >= 2150 && r.durationMs < 4500, `SIGKILL after ${r.durationMs} ms (timeout 200 + grace 2000)`);
});

test('a missing script is E_SCRIPT_NOT_FOUND with keepalived\'s text, a non-executable one E_SCRIPT_NOT_EXECUTABLE', async () => {
  const miss = await jobs.run({ argv: ['/etc/keepalived/no-such-notify.sh', 'INSTANCE'], timeoutMs: 1000 });
  assert.equal(miss.error, 'E_SCRIPT_NOT_FOUND');
  assert.equal(miss.message, 'Script /etc/keepalived/no-such-notify.sh cannot be accessed - No such file or directory');
  const p = path.join(dir, 'noexec.sh');
  fs.writeFileSync(p, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  assert.equal((await jobs.run({ argv: [p], timeoutMs: 1000 })).error, 'E_SCRIPT_NOT_EXECUTABLE');
});

test('argv (no shell), exit code, uid/gid, umask 0177 and the daemon\'s environment reach the child', async () => {
  const out = appendableFile(dir, 'show.out');
  const s = script('show.sh', `{ for a in "$@"; do echo "ARG:$a"; done; id -u; id -g; umask; echo "ENV:$KTS_JOBS_TEST"; } >> ${out}\nexit 3`);
  const nobody = lookupUser('nobody')!;
  process.env.KTS_JOBS_TEST = 'from the daemon';
  try {
    const r = await jobs.run({ argv: [s, 'a b', '$HOME', ';rm -rf /'], timeoutMs: 5000, uid: nobody.uid, gid: nobody.gid, umask: 0o177 });
    assert.equal(r.code, 3);
    assert.equal(r.timedOut, false);
  } finally {
    delete process.env.KTS_JOBS_TEST;
  }
  assert.equal(fs.readFileSync(out, 'utf8'), `ARG:a b\nARG:$HOME\nARG:;rm -rf /\n${nobody.uid}\n${nobody.gid}\n0177\nENV:from the daemon\n`);
});

test('abort: an AbortSignal stops a running script and its group', async () => {
  const pidFile = appendableFile(dir, 'long.pid');
  const s = script('long.sh', `sleep 60 & echo $! > ${pidFile}\nwait`);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 150);
  const r = await jobs.run({ argv: [s], timeoutMs: 60_000 }, ac.signal);
  assert.equal(r.aborted, true);
  assert.equal(r.timedOut, false);
  assert.ok(r.durationMs < 2000, `took ${r.durationMs} ms`);
  await sleep(100);
  assert.equal(running(readPid(pidFile)), false);
});

test('an actor\'s `job` request runs in the pool; abortActor (its vrrp_script removed) kills it', async () => {
  const pidFile = appendableFile(dir, 'actor.pid');
  const s = script('actor.sh', `echo $$ > ${pidFile}\nexec sleep 60`);
  let done: JobDone | null = null; // what the actor gets back
  jobs.handle('mon-1', { type: 'job', ref: 'r1', job: { argv: [s], timeoutMs: 0 } }, (d) => (done = d));
  assert.equal(jobs.running, 1);
  const t0 = Date.now();
  while (!fs.readFileSync(pidFile, 'utf8') && Date.now() - t0 < 3000) await sleep(20);
  const pid = readPid(pidFile);
  assert.equal(running(pid), true);
  jobs.abortActor('mon-1');
  await jobs.idle(5000);
  assert.equal(jobs.running, 0);
  assert.equal(running(pid), false);
  const back = done as JobDone | null; // assigned in the callback
  assert.deepEqual([back?.type, back?.ref, back?.result.aborted], ['job.done', 'r1', true], 'job.done goes back to the actor');
});

test('runState: keepalived\'s script state of an actor\'s job (0 idle, 1 running, 2 requested termination past the timeout, 3 forcing termination past the grace)', async () => {
  const s = script('stubborn-state.sh', "trap '' TERM\nwhile :; do sleep 0.05; done");
  assert.equal(jobs.runState('mon-2'), 0);
  let done = false;
  jobs.handle('mon-2', { type: 'job', ref: 'r1', job: { argv: [s], timeoutMs: 300 } }, () => (done = true));
  assert.equal(jobs.runState('mon-2'), 1);
  assert.equal(jobs.runState('mon-other'), 0);
  await sleep(500);
  assert.equal(done, false, 'it ignores SIGTERM');
  assert.equal(jobs.runState('mon-2'), 2);
  assert.equal(jobs.runState('mon-2', Date.now() + 2000), 3, 'past timeout + 2 s grace');
  const t0 = Date.now();
  while (!done && Date.now() - t0 < 5000) await sleep(50);
  assert.equal(done, true, 'SIGKILL ended it');
  assert.equal(jobs.runState('mon-2'), 0);
});

test('a script the security audit disabled is refused with E_SCRIPT_INSECURE and never started', async () => {
  const marker = path.join(dir, 'insecure-ran');
  const s = script('insecure.sh', `touch ${marker}`);
  const before = jobs.counters.insecure;
  const r = await jobs.run({ argv: [s], timeoutMs: 1000 });
  assert.equal(r.error, 'E_SCRIPT_INSECURE');
  assert.equal(jobs.counters.insecure, before + 1);
  await sleep(200);
  assert.equal(fs.existsSync(marker), false);
});
