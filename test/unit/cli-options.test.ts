import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { OPTIONS, parseArgs, helpText, manOptionsSection, parseUmask, parseFacility } from '../../src/options';
import { ROOT } from '../helpers/config-golden';
import { daemonOptions } from '../../src/cli';

const BIN = path.join(ROOT, 'bin', 'keepalived-ts');
const GOOD = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kts-good-')), 'good.conf');
fs.writeFileSync(GOOD, 'global_defs {\n  router_id good\n}\n');
function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every option of keepalived(8) 2.2.7's synopsis (keepalived --help on Debian, plus core/main.c's long_options). */
const KEEPALIVED_OPTIONS: [string, string | undefined][] = [
  ['-f', GOOD], ['-P', undefined], ['-C', undefined], ['-B', undefined], ['--all', undefined], ['-l', undefined], ['-D', undefined],
  ['-S', 'local1'], ['-G', undefined], ['-u', '022'], ['-X', undefined], ['-V', undefined], ['-I', undefined], ['-R', undefined],
  ['-n', undefined], ['-p', '/tmp/kts-opt.pid'], ['-r', '/tmp/kts-opt-v.pid'], ['-c', '/tmp/kts-opt-c.pid'], ['-a', undefined],
  ['-b', '/tmp/kts-opt-b.pid'], ['-x', undefined], ['-A', '/tmp/agentx'], ['-s', 'kts-none'], ['-m', undefined], ['-M', undefined],
  ['-e', undefined], ['-i', 'main'], ['--no-mem-check', undefined], ['--flush-log-file', undefined], ['--config-fd', '9'],
];

test('for each option of keepalived(8), keepalived-ts OPTION [VALUE] -t -f good.conf is not an unknown option', () => {
  for (const [opt, val] of KEEPALIVED_OPTIONS) {
    const r = cli([opt, ...(val !== undefined ? [val] : []), '-t', '-f', GOOD, '-i', 'main']);
    assert.ok(r.code === 0, `${opt}: exit ${r.code}\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Unknown option|Missing parameter/, opt);
  }
});

test('options keepalived-ts does not act on print one line saying what keepalived would do', () => {
  const r = cli(['-x', '-m', '-t', '-f', GOOD, '-i', 'main']);
  const lines = r.stderr.split('\n').filter((l) => /E_CLI_UNSUPPORTED/.test(l));
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0], /^-x\/--snmp: ignored: keepalived would register with an SNMP master agent \(AgentX\); keepalived-ts has no SNMP subsystem \[E_CLI_UNSUPPORTED\]$/);
  for (const o of OPTIONS.filter((x) => x.ignored)) assert.ok(o.ignored!.length > 10, o.long);
});

test('getopt_long rules: bundles, attached values, optional values only attached, long prefixes, -D twice', () => {
  const o = parseArgs(['-nlDD', '-fa.conf', '--log-fac=daemon', '-ttest.log', '--pid', '/run/x.pid', '-S', '3']);
  assert.equal(o.dontFork && o.logConsole && o.logDetail && o.logExtraDetail, true);
  assert.equal(o.configFile, 'a.conf');
  assert.equal(o.configTest, true);
  assert.equal(o.configTestLog, 'test.log');
  assert.equal(o.pidFile, '/run/x.pid');
  assert.equal(o.logFacility, 3);
  assert.throws(() => parseArgs(['--bogus']), /Unknown option --bogus/);
  assert.throws(() => parseArgs(['-f']), /Missing parameter for option -f/);
  assert.throws(() => parseArgs(['--use-file=']), /Missing parameter/);
  assert.deepEqual(parseArgs(['-T', '-s', 'http://x']).genhash, ['-s', 'http://x']);
  assert.deepEqual(parseArgs(['extra']).warnings, ['Unexpected argument(s): extra']);
});

test('-S and -u read values as keepalived does; bad values are reported and the option ignored', () => {
  assert.equal(parseFacility('7'), 'local7');
  assert.equal(parseFacility('local0'), 'local0');
  assert.equal(parseFacility('user'), 'user');
  assert.equal(parseFacility('local8'), undefined);
  assert.deepEqual(parseArgs(['-S', 'bogus']).warnings, ["Invalid log facility 'bogus'"]);
  assert.equal(parseArgs(['-G']).noSyslog, true);
  assert.equal(parseUmask('022'), 0o22);
  assert.equal(parseUmask('0x1ff'), 0o777);
  assert.equal(parseUmask('18'), 0o22);
  assert.equal(parseUmask('01000'), undefined);
  assert.equal(parseUmask('abc'), undefined);
  const o = parseArgs(['-u', '9999']);
  assert.equal(o.umask, undefined);
  assert.deepEqual(o.warnings, ['Invalid --umask option 9999']);
});

test('the daemon receives -X -I -R -a -e -S -G -D -D -V -C', () => {
  const d = daemonOptions(parseArgs(['-X', '-I', '-R', '-a', '-e', '-S', 'local6', '-G', '-D', '-D', '-V', '-C']));
  assert.deepEqual(
    [d.releaseVips, d.dontReleaseIpvs, d.dontRespawn, d.addressMonitoring, d.includeCheck, d.logFacility, d.noSyslog, d.logExtraDetail, d.dontReleaseVrrp, d.checkOnly],
    [true, true, true, true, true, 6, true, true, true, true],
  );
});

test('-e: a missing include file is an error (keepalived exits 6); without -e it is said and -t passes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-opt-'));
  const f = path.join(dir, 'k.conf');
  fs.writeFileSync(f, 'include nothere.conf\nglobal_defs {\n router_id x\n}\n');
  assert.equal(cli(['-t', '-f', f]).code, 0);
  const r = cli(['-e', '-t', '-f', f]);
  assert.equal(r.code, 6);
  assert.match(r.stderr, /k\.conf:1: error: include: Config files missing 'nothere\.conf'\. \[E_CONFIG_INCLUDE_MISSING\]/);
});

test('-u sets the umask of what the process creates (here: the -t log file)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-opt-'));
  const log = path.join(dir, 't.log');
  cli(['-u', '077', `--config-test=${log}`, '-f', GOOD, '-i', 'main']);
  assert.equal(fs.statSync(log).mode & 0o777, 0o600);
  const log2 = path.join(dir, 't2.log');
  cli(['-u', '0', `--config-test=${log2}`, '-f', GOOD, '-i', 'main']);
  assert.equal(fs.statSync(log2).mode & 0o777, 0o644);
});

test('-i: lines beginning @id are read only on that config id', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-opt-'));
  const f = path.join(dir, 'k.conf');
  fs.writeFileSync(f, 'global_defs {\n@n1 router_id one\n@n2 router_id two\n}\n');
  assert.match(cli(['-d', '--json', '-i', 'n2', '-f', f]).stdout, /"routerId": "two"/);
});

test('-s: the command runs again inside the network namespace (a missing one is reported)', () => {
  const r = cli(['-s', 'kts-no-such-ns', '-n', '-f', GOOD]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /kts-no-such-ns/);
});

test('-h and the man page OPTIONS come from the one table', () => {
  const h = helpText();
  const man = manOptionsSection();
  for (const o of OPTIONS) {
    assert.ok(h.includes(`--${o.long}`), o.long);
    assert.ok(man.includes(`\\-\\-${o.long.replace(/-/g, '\\-')}`), o.long);
  }
  assert.match(cli(['-h']).stdout, /--release-vips/);
});

test('keywords parsed but not acted upon: one warning each from -t with file:line [E_CONFIG_UNSUPPORTED], not counted in the exit status', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-opt-'));
  const f = path.join(dir, 'k.conf');
  fs.writeFileSync(f, 'global_defs {\n  enable_dbus\n  enable_snmp_vrrp\n}\nbfd_instance b1 {\n  neighbor_ip 192.0.2.9\n}\nvirtual_server 192.0.2.1 80 {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 192.0.2.2 80 {\n    weight 1\n  }\n}\n');
  const r = cli(['-t', '-f', f]);
  assert.equal(r.code, 0, r.stderr);
  for (const [line, kw] of [[2, 'enable_dbus'], [3, 'enable_snmp_vrrp'], [5, 'bfd_instance']] as const) {
    assert.match(r.stderr, new RegExp(`k\\.conf:${line}: warning: (global_defs: )?${kw}: parsed, not acted upon: .* \\[E_CONFIG_UNSUPPORTED\\]`), kw);
  }
  // the LVS half runs (issue 9): virtual_server is acted upon
  assert.doesNotMatch(r.stderr, /virtual_server: parsed, not acted upon/);
});
