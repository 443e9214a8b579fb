import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseConfig, configTestExitCode } from '../../src/config';
import type { ConfigErrorCode, ParseResult } from '../../src/config';

function write(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-cfgerr-'));
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(dir, n), t);
  return dir;
}
function run(text: string, extra: Record<string, string> = {}): { r: ParseResult; file: string } {
  const dir = write({ 'keepalived.conf': text, ...extra });
  const file = path.join(dir, 'keepalived.conf');
  return { r: parseConfig(file, { configId: 'n1', checkScripts: false }), file };
}
/** The error must name `inFile` (a file of the test's directory, default the main file) and `line`. */
function expectError(text: string, code: ConfigErrorCode, line: number, pattern: RegExp, extra: Record<string, string> = {}, exit = 5, inFile = 'keepalived.conf'): void {
  const { r, file } = run(text, extra);
  const e = r.diagnostics.find((d) => d.severity === 'error' && d.code === code);
  assert.ok(e, `expected ${code}, got ${JSON.stringify(r.diagnostics)}`);
  assert.equal(e.line, line);
  assert.equal(e.file, path.join(path.dirname(file), inFile));
  assert.match(e.message, pattern);
  assert.equal(configTestExitCode(r), exit);
}

// The CLI end to end: keepalived-ts -t prints `file:line: error: message [CODE]` and exits with the code.
const CLI = path.join(__dirname, '..', '..', 'src', 'cli.js');
function cliTest(text: string, extra: Record<string, string> = {}): { code: number; stderr: string; dir: string } {
  const dir = write({ 'keepalived.conf': text, ...extra });
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(CLI)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`, '--', '-t', '-f', path.join(dir, 'keepalived.conf'), '-i', 'n1'], { encoding: 'utf8' });
  return { code: r.status ?? -1, stderr: r.stderr, dir };
}
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function expectCliError(text: string, exit: number, inFile: string, line: number, message: string, code: ConfigErrorCode, extra: Record<string, string> = {}): void {
  const r = cliTest(text, extra);
  assert.equal(r.code, exit, r.stderr);
  assert.match(r.stderr, new RegExp(`(^|\\n)${esc(path.join(r.dir, inFile))}:${line}: error: ${message} \\[${code}\\]`), r.stderr);
}
const inst = (body: string) => `vrrp_instance VI_1 {\n interface eth0\n${body}\n virtual_ipaddress {\n  192.0.2.100\n }\n}\n`;

test('bad number: priority abc is E_CONFIG_SYNTAX at its line, -t exit 5', () => {
  expectError(inst(' virtual_router_id 51\n priority abc'), 'E_CONFIG_SYNTAX', 4, /priority: expected an integer in \[1, 255\], got invalid number 'abc'/);
});

test('out-of-range VRID (virtual_router_id 300) is E_CONFIG_RANGE', () => {
  expectError(inst(' virtual_router_id 300'), 'E_CONFIG_RANGE', 3, /virtual_router_id: number '300' outside range \[1, 255\]/);
});

test('out-of-range priority (0) is E_CONFIG_RANGE and the default 100 is used', () => {
  const { r } = run(inst(' virtual_router_id 51\n priority 0'));
  assert.ok(r.diagnostics.some((d) => d.code === 'E_CONFIG_RANGE' && d.line === 4));
  assert.equal(r.config.vrrpInstances[0].priority, 100);
});

test('unknown top-level block is E_CONFIG_UNKNOWN_BLOCK', () => {
  expectError('foo_block {\n bar 1\n}\n', 'E_CONFIG_UNKNOWN_BLOCK', 1, /Unknown block 'foo_block'/);
});

test('unterminated brace is E_CONFIG_UNTERMINATED at the opening line', () => {
  expectError('global_defs {\n router_id x\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n', 'E_CONFIG_UNTERMINATED', 4, /vrrp_instance VI_1: block opened here is not closed/);
});

test('missing include file is E_CONFIG_INCLUDE_MISSING at the include line', () => {
  expectError('global_defs {\n}\nincludem nothere.conf\n', 'E_CONFIG_INCLUDE_MISSING', 3, /Config files missing 'nothere.conf'/, {}, 6);
});

test('include loop is E_CONFIG_INCLUDE_LOOP naming the include line', () => {
  expectError('include a.conf\n', 'E_CONFIG_INCLUDE_LOOP', 1, /includes itself/, { 'a.conf': 'include keepalived.conf\n' }, 5, 'a.conf');
});

test('vrrp_strict: authentication and unicast peers are E_CONFIG_STRICT', () => {
  const text = 'global_defs {\n vrrp_strict\n}\n' + inst(' virtual_router_id 51\n authentication {\n auth_type PASS\n auth_pass x\n }\n unicast_peer {\n 192.0.2.2\n }');
  expectError(text, 'E_CONFIG_STRICT', 4, /Strict mode does not support authentication/);
  const { r } = run(text);
  assert.ok(!r.diagnostics.some((d) => /Unicast peers/.test(d.message)), 'keepalived 2.2.7 accepts unicast peers with vrrp_strict');
  assert.equal(r.config.vrrpInstances[0].authentication, undefined);
});

test('missing interface and missing track script are warnings (keepalived 2.2.7: exit 5)', () => {
  const { r } = run(`vrrp_instance VI_1 {\n interface nosuchif0\n virtual_router_id 51\n track_script {\n nothere\n }\n virtual_ipaddress {\n 192.0.2.100\n }\n}\n`);
  assert.ok(r.diagnostics.some((d) => d.severity === 'warning' && /interface nosuchif0/.test(d.message)));
  assert.ok(r.diagnostics.some((d) => d.severity === 'warning' && /track script nothere not found/.test(d.message)));
  assert.equal(configTestExitCode(r), 5);
});

test('enable_script_security with a world-writable script: keepalived\'s messages, the track script disabled, -t exit 5; without it SECURITY VIOLATION, exit 6', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-sec-'));
  const script = path.join(dir, 'chk.sh');
  fs.writeFileSync(script, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(script, 0o777);
  const file = path.join(dir, 'k.conf');
  const conf = (sec: string) => `global_defs {\n script_user root\n${sec}}\nvrrp_script chk {\n script "${script} arg"\n}\n` +
    inst(' virtual_router_id 51\n track_script {\n  chk\n }');
  try {
    fs.writeFileSync(file, conf(' enable_script_security\n'));
    const r = parseConfig(file, { configId: 'x' });
    const e = r.diagnostics.find((d) => d.severity === 'error' && d.code === 'E_CONFIG_SCRIPT_INSECURE');
    assert.ok(e, JSON.stringify(r.diagnostics));
    assert.equal(e.message, 'Disabling track script chk due to insecure');
    assert.equal(e.line, 5);
    assert.ok(r.diagnostics.some((d) => d.severity === 'warning' && d.message === `Unsafe permissions found for script '${script}' - disabling.`));
    assert.equal(configTestExitCode(r), 5);
    fs.writeFileSync(file, conf(''));
    const off = parseConfig(file, { configId: 'x' });
    assert.deepEqual(off.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.message]),
      [['E_CONFIG_SCRIPT_SECURITY', 'SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.']]);
    assert.equal(configTestExitCode(off), 6);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('keepalived-ts -t: a bad number prints file:line: error: and exits 5 (E_CONFIG_SYNTAX)', () => {
  expectCliError(inst(' virtual_router_id 51\n priority abc'), 5, 'keepalived.conf', 4, "priority: expected an integer in \\[1, 255\\], got invalid number 'abc'", 'E_CONFIG_SYNTAX');
});

test('keepalived-ts -t: an unknown block prints file:line: error: and exits 5 (E_CONFIG_UNKNOWN_BLOCK)', () => {
  expectCliError('global_defs {\n router_id r1\n}\nfoo_block {\n bar 1\n}\n', 5, 'keepalived.conf', 4, "Unknown block 'foo_block' - ignoring it and its contents", 'E_CONFIG_UNKNOWN_BLOCK');
});

test('keepalived-ts -t: an unclosed block prints its opening line and exits 5 (E_CONFIG_UNTERMINATED)', () => {
  expectCliError('global_defs {\n router_id x\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n', 5, 'keepalived.conf', 4, "vrrp_instance VI_1: block opened here is not closed by '}'", 'E_CONFIG_UNTERMINATED');
});

test('keepalived-ts -t: a missing include file is said at the include line; only includem/-e make it count (exit 0, 6)', () => {
  const r = cliTest('global_defs {\n}\ninclude nothere.conf\n');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /keepalived\.conf:3: warning: include: Config files missing 'nothere.conf'\. \[E_CONFIG_INCLUDE_MISSING\]/);
  expectCliError('global_defs {\n}\nincludem nothere.conf\n', 6, 'keepalived.conf', 3, "includem: Config files missing 'nothere.conf'\\.", 'E_CONFIG_INCLUDE_MISSING');
});

test('keepalived-ts -t: an include loop is reported in the included file that closes it and exits 5 (E_CONFIG_INCLUDE_LOOP)', () => {
  const r = cliTest('global_defs {\n}\ninclude a.conf\n', { 'a.conf': '# loops back\ninclude keepalived.conf\n' });
  assert.equal(r.code, 5, r.stderr);
  const [main, a] = [path.join(r.dir, 'keepalived.conf'), path.join(r.dir, 'a.conf')];
  assert.equal(r.stderr, `${a}:2: error: include: 'keepalived.conf' includes itself (${main} -> ${a} -> ${main}) [E_CONFIG_INCLUDE_LOOP]\n`);
});

test('keepalived-ts -t: vrrp_strict with authentication prints the instance line and exits 5 (E_CONFIG_STRICT)', () => {
  const text = 'global_defs {\n vrrp_strict\n}\n' + inst(' virtual_router_id 51\n authentication {\n auth_type PASS\n auth_pass x\n }');
  expectCliError(text, 5, 'keepalived.conf', 4, '\\(VI_1\\) Strict mode does not support authentication. Ignoring.', 'E_CONFIG_STRICT');
});

test('keepalived-ts -t: enable_script_security with a world-writable script prints keepalived\'s vrrp_script line and exits 5 (E_CONFIG_SCRIPT_INSECURE)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-sec-'));
  const script = path.join(dir, 'chk.sh');
  fs.writeFileSync(script, '#!/bin/sh\nexit 0\n');
  fs.chmodSync(script, 0o777);
  try {
    expectCliError(`global_defs {\n enable_script_security\n script_user root\n}\nvrrp_script chk {\n script "${script} arg"\n}\n` +
      inst(' virtual_router_id 51\n track_script {\n  chk\n }'), 5, 'keepalived.conf', 5, 'Disabling track script chk due to insecure', 'E_CONFIG_SCRIPT_INSECURE');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
