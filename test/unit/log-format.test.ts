import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syslogLine, consoleLine, facility, severity, subsystemOf, isJournalStream, journalPrefix, IDENTS } from '../../src/util/log-format';
import { parseArgs, UsageError } from '../../src/cli';

test('syslog datagrams have glibc syslog(3)\'s layout for keepalived: <PRI>Mmm dd HH:MM:SS Ident[pid]: text', () => {
  const time = new Date(2026, 11, 1, 5, 51, 24); // local time, as syslog(3)
  // captured from keepalived 2.2.7 -n (main process, LOG_DAEMON|LOG_INFO)
  assert.equal(syslogLine({ facility: facility('main'), severity: severity(30), ident: IDENTS.main, pid: 6720, time, text: 'Stopped Keepalived v2.2.7 (01/16,2022)' }),
    '<30>Dec  1 05:51:24 Keepalived[6720]: Stopped Keepalived v2.2.7 (01/16,2022)');
  assert.equal(syslogLine({ facility: facility('vrrp'), severity: severity(50), ident: IDENTS.vrrp, pid: 7, time: new Date(2026, 0, 15, 23, 4, 5), text: 'x' }),
    '<139>Jan 15 23:04:05 Keepalived_vrrp[7]: x', 'VRRP child: LOG_LOCAL1, error');
  assert.equal(consoleLine(time, '(VI_1) Entering MASTER STATE'), 'Tue Dec  1 05:51:24 2026: (VI_1) Entering MASTER STATE');
});

test('facilities and severities follow keepalived: daemon/local1/local2 by default, -S N puts every subsystem on localN', () => {
  assert.deepEqual([facility('main'), facility('vrrp'), facility('checker')], [3, 17, 18]);
  assert.deepEqual([facility('main', 0), facility('vrrp', 7), facility('checker', 3)], [16, 23, 19]);
  assert.deepEqual([60, 50, 40, 30, 20, 10].map(severity), [2, 3, 4, 6, 7, 7]);
  assert.equal(journalPrefix(50), '<3>');
});

test('idents: process life lines are Keepalived, checker lines Keepalived_healthcheckers, the rest Keepalived_vrrp; `sub` wins', () => {
  assert.equal(subsystemOf({ msg: 'Starting keepalived-ts' }), 'main');
  assert.equal(subsystemOf({ msg: 'Stopped Keepalived' }), 'main');
  assert.equal(subsystemOf({ msg: '(VI_1) Entering MASTER STATE' }), 'vrrp');
  assert.equal(subsystemOf({ msg: 'TCP connection failed', kind: 'checker' }), 'checker');
  assert.equal(subsystemOf({ msg: '(VI_1) x', sub: 'main' }), 'main');
});

test('JOURNAL_STREAM matches only the stderr it names', () => {
  assert.equal(isJournalStream('8:1234', { dev: 8, ino: 1234 }), true);
  assert.equal(isJournalStream('8:1234', { dev: 8n, ino: 1234n }), true);
  assert.equal(isJournalStream('8:1234', { dev: 8, ino: 1235 }), false);
  assert.equal(isJournalStream(undefined, { dev: 8, ino: 1234 }), false);
  assert.equal(isJournalStream('garbage', { dev: 8, ino: 1234 }), false);
});

test('-S N, -G and --log-format reach the daemon options; -S outside 0-7 is said and ignored, as keepalived does', () => {
  const o = parseArgs(['-n', '-S', '5', '-G', '--log-format', 'text']);
  assert.equal(o.logFacility, 5);
  assert.equal(o.noSyslog, true);
  assert.equal(o.logFormat, 'text');
  assert.equal(parseArgs(['-S3']).logFacility, 3);
  assert.deepEqual(parseArgs(['-S', '8']).warnings, ["Invalid log facility '8'"]);
  assert.equal(parseArgs(['-S', '8']).logFacility, undefined);
  assert.throws(() => parseArgs(['--log-format', 'xml']), UsageError);
});
