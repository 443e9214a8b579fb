import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runScript, runOk } from '../../src/actors/monitor/script';
import { splitCommand } from '../../src/config';
import { lookupUser } from '../../src/actors/notifier/security';

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-notify-run-'));
  fs.chmodSync(d, 0o755);
  return d;
}
function script(dir: string, name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}
/** running (a zombie waiting for a reaper counts as dead) */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

test('a script that outlives its timeout is killed (with its children) and counts as timed out', async () => {
  const dir = tmp();
  try {
    const s = script(dir, 'slow.sh', `sleep 60 &\necho $! > ${dir}/child.pid\nwait`);
    const t0 = Date.now();
    const r = await runScript({ argv: [s], timeoutMs: 300, killGraceMs: 500 });
    const took = Date.now() - t0;
    assert.equal(r.timedOut, true);
    assert.equal(runOk(r), false);
    assert.equal(r.signal, 'SIGTERM');
    assert.ok(took >= 300 && took < 2000, `took ${took} ms`);
    const child = Number(fs.readFileSync(path.join(dir, 'child.pid'), 'utf8'));
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(alive(child), false, 'the sleep started by the script was killed too');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a script that ignores SIGTERM is SIGKILLed after the grace period', async () => {
  const dir = tmp();
  try {
    const s = script(dir, 'stubborn.sh', `trap '' TERM\nwhile :; do sleep 0.05; done`);
    const r = await runScript({ argv: [s], timeoutMs: 200, killGraceMs: 300 });
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(r.durationMs >= 500 && r.durationMs < 3000, `took ${r.durationMs} ms`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a script that does not exist is reported with E_SCRIPT_NOT_FOUND, one not executable with E_SCRIPT_NOT_EXECUTABLE', async () => {
  const r = await runScript({ argv: ['/nonexistent/kts-notify.sh', 'x'], timeoutMs: 1000 });
  assert.equal(r.error, 'E_SCRIPT_NOT_FOUND');
  assert.match(r.message!, /\/nonexistent\/kts-notify.sh cannot be accessed - No such file or directory/);
  assert.equal(runOk(r), false);
  const dir = tmp();
  try {
    const p = path.join(dir, 'n.sh');
    fs.writeFileSync(p, '#!/bin/sh\n', { mode: 0o644 });
    const n = await runScript({ argv: [p], timeoutMs: 1000, uid: lookupUser('nobody')!.uid, gid: lookupUser('nobody')!.gid });
    assert.equal(n.error, 'E_SCRIPT_NOT_EXECUTABLE');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('scripts get their arguments verbatim (no shell), exit codes are reported, umask is 0177', async () => {
  const dir = tmp();
  try {
    const s = script(dir, 'args.sh', `for a in "$@"; do echo "$a"; done > ${dir}/out\numask > ${dir}/umask\nexit 3`);
    const r = await runScript({ argv: splitCommand(`${s} 'a b' '$HOME' ';rm -rf /'`), timeoutMs: 2000 });
    assert.equal(r.code, 3);
    assert.equal(runOk(r), false);
    assert.equal(fs.readFileSync(path.join(dir, 'out'), 'utf8'), 'a b\n$HOME\n;rm -rf /\n');
    assert.equal(fs.readFileSync(path.join(dir, 'umask'), 'utf8').trim(), '0177');
    assert.equal(fs.statSync(path.join(dir, 'out')).mode & 0o777, 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('script_user: the script runs as the configured user', async () => {
  const dir = tmp();
  fs.chmodSync(dir, 0o777);
  try {
    const nobody = lookupUser('nobody')!;
    const s = script(dir, 'who.sh', `id -u > ${dir}/uid`);
    const r = await runScript({ argv: [s], timeoutMs: 2000, uid: nobody.uid, gid: nobody.gid });
    assert.ok(runOk(r), JSON.stringify(r));
    assert.equal(fs.readFileSync(path.join(dir, 'uid'), 'utf8').trim(), String(nobody.uid));
    assert.equal(fs.statSync(path.join(dir, 'uid')).uid, nobody.uid);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
