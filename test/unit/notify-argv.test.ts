import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { genericNotifyArgv, notifyInvocations, fifoLine, FifoWriter, type NotifyScript } from '../../src/actors/notifier/notify';
import { splitCommand } from '../../src/config';
import { checkScriptSecure, unsafeComponent, lookupUser } from '../../src/actors/notifier/security';
import { instanceAlert, groupAlert, shouldEmail, composeMail } from '../../src/actors/notifier/smtp';

const ns = (raw: string): NotifyScript => ({ raw, argv: splitCommand(raw) });

test('script strings are split like keepalived (the config\'s one splitter): quotes group words, blanks separate them', () => {
  assert.deepEqual(splitCommand(`/usr/bin/env OUT=/x /s.sh 'a b' c`), ['/usr/bin/env', 'OUT=/x', '/s.sh', 'a b', 'c']);
  assert.deepEqual(splitCommand(`/s.sh "x \\"y\\"  z"   last`), ['/s.sh', 'x "y"  z', 'last']);
  assert.deepEqual(splitCommand(`/s.sh a\\ b`), ['/s.sh', 'a b']);
  assert.deepEqual(splitCommand(`  /s.sh  `), ['/s.sh']);
  assert.deepEqual(splitCommand(`/s.sh ''`), ['/s.sh', '']);
});

test('notify: the generic script gets INSTANCE <name> <STATE> <priority> after its own arguments (keepalived 2.2.7)', () => {
  // measured on keepalived 2.2.7: notify "/usr/bin/env OUT=… dump.sh 'a b' c" ⇒ a b | c | INSTANCE | VI_1 | MASTER | 255
  assert.deepEqual(genericNotifyArgv(ns(`/d.sh 'a b' c`), 'INSTANCE', 'VI_1', 'MASTER', 255), ['/d.sh', 'a b', 'c', 'INSTANCE', 'VI_1', 'MASTER', '255']);
});

test('notify for a sync group: GROUP <name> <STATE> 0', () => {
  assert.deepEqual(genericNotifyArgv(ns('/d.sh grp'), 'GROUP', 'VG_1', 'BACKUP', 110), ['/d.sh', 'grp', 'GROUP', 'VG_1', 'BACKUP', '0']);
});

test('notify_master etc. get only their configured arguments; the specific script starts before the generic one', () => {
  const cfg = { notify: ns('/g.sh'), notifyMaster: ns('/m.sh x'), notifyBackup: ns('/b.sh'), notifyStop: ns('/s.sh y') };
  const inv = notifyInvocations(cfg, 'INSTANCE', 'VI_1', 'MASTER', 110);
  assert.deepEqual(inv.map((i) => [i.which, i.argv]), [
    ['specific', ['/m.sh', 'x']],
    ['generic', ['/g.sh', 'INSTANCE', 'VI_1', 'MASTER', '110']],
  ]);
  assert.equal(inv[0]!.timeoutMs, 0);
  const fault = notifyInvocations(cfg, 'INSTANCE', 'VI_1', 'FAULT', 110);
  assert.deepEqual(fault.map((i) => i.which), ['generic']);
  const stop = notifyInvocations(cfg, 'INSTANCE', 'VI_1', 'STOP', 110);
  assert.deepEqual(stop.map((i) => i.argv[0]), ['/s.sh', '/g.sh']);
  assert.ok(stop.every((i) => i.timeoutMs === 1000), 'STOP scripts are given 1 s like keepalived');
});

test('notify_fifo lines: INSTANCE "VI_1" MASTER 100 and GROUP "VG_1" MASTER 0', () => {
  assert.equal(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100), 'INSTANCE "VI_1" MASTER 100\n');
  assert.equal(fifoLine('GROUP', 'VG_1', 'STOP', 100), 'GROUP "VG_1" STOP 0\n');
  assert.equal(fifoLine('INSTANCE', 'VI_1', 'MASTER_RX_LOWER_PRI', 100), 'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100\n');
});

test('notify_fifo writer never blocks: without a reader lines are dropped and counted once the pipe is full', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-fifo-'));
  const p = path.join(dir, 'fifo');
  const w = new FifoWriter(p);
  try {
    w.open();
    assert.equal(w.created, true);
    assert.ok(fs.statSync(p).isFIFO());
    const line = fifoLine('INSTANCE', 'VI_1', 'MASTER', 100);
    const t0 = Date.now();
    for (let i = 0; i < 5000; i++) w.write(line);
    assert.ok(Date.now() - t0 < 2000, 'writes did not block');
    assert.ok(w.written > 0);
    assert.ok(w.dropped > 0, 'lines beyond the pipe buffer are dropped');
    assert.equal(w.written + w.dropped, 5000);
  } finally {
    w.close({ removeIfCreated: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(fs.existsSync(p), false);
});

test('notify_fifo writer: a reader receives the lines in order', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-fifo-'));
  const p = path.join(dir, 'fifo');
  const w = new FifoWriter(p);
  try {
    w.open();
    w.write(fifoLine('INSTANCE', 'VI_1', 'BACKUP', 100));
    w.write(fifoLine('INSTANCE', 'VI_1', 'MASTER', 100));
    const rfd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(rfd, buf);
    fs.closeSync(rfd);
    assert.equal(buf.subarray(0, n).toString(), 'INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\n');
  } finally {
    w.close({ removeIfCreated: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('enable_script_security: a script in a world-writable directory is refused with keepalived\'s message', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-sec-'));
  try {
    fs.chmodSync(dir, 0o777);
    const s = path.join(dir, 's.sh');
    fs.writeFileSync(s, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const on = checkScriptSecure(s, { uid: 0, gid: 0 }, true);
    assert.equal(on.allowed, false);
    assert.equal(on.insecure, true);
    assert.deepEqual(on.messages, [`Unsafe permissions found for script '${s}' - disabling.`]);
    const off = checkScriptSecure(s, { uid: 0, gid: 0 }, false);
    assert.equal(off.allowed, true);
    assert.deepEqual(off.messages, [`Unsafe permissions found for script '${s}'.`]);
    fs.chmodSync(dir, 0o755);
    const ok = checkScriptSecure(s, { uid: 0, gid: 0 }, true);
    assert.equal(ok.allowed, true, JSON.stringify(ok.messages));
    fs.chmodSync(s, 0o757);
    assert.equal(checkScriptSecure(s, { uid: 0, gid: 0 }, true).insecure, true, 'world-writable script file');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('script checks: a missing script and a non-executable one are disabled with keepalived\'s messages', () => {
  const miss = checkScriptSecure('/nonexistent/kts.sh', { uid: 0, gid: 0 }, true);
  assert.equal(miss.allowed, false);
  assert.deepEqual(miss.messages, ['Script /nonexistent/kts.sh cannot be accessed - No such file or directory']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-sec-'));
  try {
    const s = path.join(dir, 'n.sh');
    fs.writeFileSync(s, '#!/bin/sh\n', { mode: 0o644 });
    const r = checkScriptSecure(s, { uid: 0, gid: 0 }, true);
    assert.equal(r.allowed, false);
    assert.deepEqual(r.messages, [`WARNING - script '${s}' is not executable for uid:gid 0:0 - disabling.`]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('script security: a sticky world-writable directory (/tmp) is safe, a non-root owner is not', () => {
  const st = (uid: number, gid: number, mode: number, file = false) => ({ uid, gid, mode, isFile: () => file, isDirectory: () => !file && (mode & 0o170000) === 0o040000 });
  assert.equal(unsafeComponent(st(0, 0, 0o41777)), false);
  assert.equal(unsafeComponent(st(0, 0, 0o40777)), true);
  assert.equal(unsafeComponent(st(1000, 0, 0o40755)), true);
  assert.equal(unsafeComponent(st(0, 50, 0o40775)), true);
  assert.equal(unsafeComponent(st(0, 0, 0o40775)), false, 'group root may write');
  assert.equal(unsafeComponent(st(0, 0, 0o101757, true)), true, 'sticky does not protect a file');
  assert.equal(unsafeComponent(st(0, 0, 0o120777)), false, 'a symbolic link\'s own mode does not count');
});

test('script_user: users and groups resolve from /etc/passwd and /etc/group', () => {
  assert.deepEqual(lookupUser('root'), { uid: 0, gid: 0, name: 'root' });
  const nobody = lookupUser('nobody');
  assert.ok(nobody && nobody.uid > 0);
  assert.equal(lookupUser('no-such-user-kts'), undefined);
});

test('smtp_alert: keepalived\'s subjects and bodies for instances and groups', () => {
  assert.deepEqual(instanceAlert('lb1', 'VI_1', 'MASTER'), {
    subject: '[lb1] VRRP Instance VI_1 - Entering MASTER state', body: '=> VRRP Instance is now owning VRRP VIPs <=',
  });
  assert.equal(instanceAlert('lb1', 'VI_1', 'STOP').subject, '[lb1] VRRP Instance VI_1 - Stopping');
  assert.deepEqual(groupAlert('lb1', 'VG_1', 'FAULT'), {
    subject: '[lb1] VRRP Group VG_1 - Entering FAULT state', body: '=> All VRRP group instances are now in FAULT state <=',
  });
  const m = composeMail({ host: '127.0.0.1', to: ['a@example.com', 'b@example.com'], from: 'k@example.com' }, instanceAlert('lb1', 'VI_1', 'MASTER'));
  assert.equal(m.to, 'a@example.com, b@example.com');
  assert.deepEqual(m.envelope, { from: 'k@example.com', to: ['a@example.com', 'b@example.com'] });
});

test('smtp_alert: the same state is not mailed twice; no_email_faults skips FAULT', () => {
  assert.equal(shouldEmail(undefined, 'MASTER'), true);
  assert.equal(shouldEmail('MASTER', 'MASTER'), false);
  assert.equal(shouldEmail('MASTER', 'FAULT', true), false);
  assert.equal(shouldEmail('MASTER', 'BACKUP', true), true);
});
