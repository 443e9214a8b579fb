import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig, configTestExitCode, splitCommand } from '../../src/config';
import type { ParseResult } from '../../src/config';
import { ROOT } from '../helpers/config-golden';

const FIX = path.join(ROOT, 'test', 'fixtures', 'config');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kts-config-'));
}
function parseText(text: string, configId = 'main', name = 'test.conf'): ParseResult {
  const dir = tmpdir();
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return parseConfig(f, { configId, checkScripts: false });
}
function errors(r: ParseResult) {
  return r.diagnostics.filter((d) => d.severity === 'error');
}
const VI = (body: string) => `vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n${body}\n virtual_ipaddress {\n  192.0.2.100/24\n }\n}\n`;

test('vrrp_instance: priority defaults to 100, state BACKUP, advert_int 1, version 2, family from the VIPs', () => {
  const r = parseText(VI(''));
  assert.deepEqual(errors(r), []);
  const vi = r.config.vrrpInstances[0];
  assert.equal(vi.priority, 100);
  assert.equal(vi.state, 'BACKUP');
  assert.equal(vi.advertInt, 1);
  assert.equal(vi.advertIntCs, 100);
  assert.equal(vi.version, 2);
  assert.equal(vi.family, 4);
  assert.equal(vi.mcastGroup, '224.0.0.18');
  assert.equal(vi.garpMasterDelay, 5);
  assert.equal(vi.garpMasterRepeat, 5);
  assert.deepEqual(vi.virtualIpaddress[0].address, '192.0.2.100');
  assert.equal(vi.virtualIpaddress[0].prefixLen, 24);
  assert.equal(vi.file.endsWith('test.conf'), true);
  assert.equal(vi.line, 1);
});

test('priority 255 makes the instance the address owner: state MASTER', () => {
  const vi = parseText(VI(' state BACKUP\n priority 255')).config.vrrpInstances[0];
  assert.equal(vi.state, 'MASTER');
});

test('nopreempt with state MASTER is cleared with a warning, as keepalived does', () => {
  const r = parseText(VI(' state MASTER\n nopreempt'));
  assert.equal(r.config.vrrpInstances[0].nopreempt, false);
  assert.ok(r.diagnostics.some((d) => d.severity === 'warning' && /nopreempt will not work/.test(d.message)));
  assert.equal(parseText(VI(' state BACKUP\n nopreempt')).config.vrrpInstances[0].nopreempt, true);
});

test('auth_pass longer than 8 characters is truncated with a warning', () => {
  const r = parseText(VI(' authentication {\n auth_type PASS\n auth_pass 0123456789\n }'));
  assert.deepEqual(r.config.vrrpInstances[0].authentication, { type: 'PASS', pass: '01234567' });
  assert.ok(r.diagnostics.some((d) => /Truncating auth_pass/.test(d.message) && d.line === 6));
});

test('advert_int: v2 rounds to whole seconds (min 1), v3 keeps centiseconds', () => {
  assert.equal(parseText(VI(' advert_int 0.4')).config.vrrpInstances[0].advertIntCs, 100);
  assert.equal(parseText(VI(' advert_int 2.6')).config.vrrpInstances[0].advertIntCs, 300);
  const v3 = parseText(VI(' version 3\n advert_int 0.25')).config.vrrpInstances[0];
  assert.equal(v3.advertIntCs, 25);
  assert.equal(v3.advertInt, 0.25);
});

test('an IPv6 VIP makes the instance IPv6 and VRRPv3 with group ff02::12', () => {
  const r = parseText('vrrp_instance V6 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 2001:db8::100/64 dev eth0 nodad\n }\n}\n');
  const vi = r.config.vrrpInstances[0];
  assert.equal(vi.family, 6);
  assert.equal(vi.version, 3);
  assert.equal(vi.mcastGroup, 'ff02::12');
  assert.equal(vi.virtualIpaddress[0].nodad, true);
});

test('virtual_ipaddress options: brd dev scope label noprefixroute', () => {
  const a = parseText(VI('').replace('192.0.2.100/24', '192.0.2.100/24 brd 192.0.2.255 dev eth0 scope link label eth0:1 noprefixroute')).config.vrrpInstances[0].virtualIpaddress[0];
  assert.equal(a.brd, '192.0.2.255');
  assert.equal(a.dev, 'eth0');
  assert.equal(a.scope, 'link');
  assert.equal(a.label, 'eth0:1');
  assert.equal(a.noprefixroute, true);
});

test('unicast_peer with min_ttl/max_ttl, track_interface and track_script weights', () => {
  const vi = parseText(VI(' unicast_src_ip 192.0.2.11\n unicast_peer {\n 192.0.2.12 min_ttl 1 max_ttl 5\n }\n track_interface {\n eth0 weight -20\n eth1 weight 10 reverse\n }\n track_script {\n chk\n chk2 weight 5 reverse\n }')).config.vrrpInstances[0];
  assert.deepEqual(vi.unicastPeers, [{ address: '192.0.2.12', minTtl: 1, maxTtl: 5 }]);
  assert.deepEqual(vi.trackInterfaces, [{ name: 'eth0', weight: -20, reverse: false }, { name: 'eth1', weight: 10, reverse: true }]);
  assert.deepEqual(vi.trackScripts, [{ name: 'chk', reverse: false }, { name: 'chk2', weight: 5, reverse: true }]);
});

test('notify commands are split into argv as keepalived does (quotes, no shell), with user and group', () => {
  const vi = parseText(VI(` notify_master "/bin/echo 'a b' c" root wheel`)).config.vrrpInstances[0];
  assert.deepEqual(vi.notifyMaster?.argv, ['/bin/echo', 'a b', 'c']);
  assert.equal(vi.notifyMaster?.user, 'root');
  assert.equal(vi.notifyMaster?.group, 'wheel');
  assert.deepEqual(splitCommand('/x "y z"  w'), ['/x', 'y z', 'w']);
});

test('global_defs: router_id, mcast groups and garp defaults flow into instances', () => {
  const r = parseText('global_defs {\n router_id r1\n vrrp_mcast_group4 224.0.0.19\n vrrp_garp_master_delay 2\n vrrp_garp_master_repeat 3\n vrrp_version 3\n}\n' + VI(' garp_master_repeat 7'));
  assert.equal(r.config.globalDefs.routerId, 'r1');
  const vi = r.config.vrrpInstances[0];
  assert.equal(vi.mcastGroup, '224.0.0.19');
  assert.equal(vi.garpMasterDelay, 2);
  assert.equal(vi.garpMasterRepeat, 7);
  assert.equal(vi.version, 3);
});

test('router_id defaults to the hostname', () => {
  assert.equal(parseText('').config.globalDefs.routerId, os.hostname());
});

test('comments with # and ! anywhere, but not inside quotes', () => {
  const r = parseText('global_defs { # c\n router_id "a#b" ! more\n}\n');
  assert.equal(r.config.globalDefs.routerId, 'a#b');
});

test('unknown keyword: a warning naming file:line and the keyword, parsing continues', () => {
  const r = parseText(VI(' frobnicate 3\n priority 90'));
  const w = r.diagnostics.find((d) => d.severity === 'warning' && d.message.includes("'frobnicate'"));
  assert.ok(w);
  assert.equal(w.line, 4);
  assert.equal(r.config.vrrpInstances[0].priority, 90);
  assert.equal(configTestExitCode(r), 5, 'keepalived 2.2.7 counts an unknown keyword');
});

test('@id conditional lines and @^id negations', () => {
  const text = fs.readFileSync(path.join(FIX, 'manpage', 'conditional.conf'), 'utf8');
  const main = parseText(text, 'main').config;
  assert.equal(main.globalDefs.routerId, 'main_router');
  assert.equal(main.vrrpInstances[0].unicastSrcIp, '192.0.2.4');
  assert.deepEqual(main.vrrpInstances[0].unicastPeers.map((p) => p.address), ['192.0.2.5', '192.0.2.6']);
  const other = parseText(text, 'other').config;
  assert.equal(other.globalDefs.routerId, os.hostname());
  assert.equal(other.vrrpInstances[0].unicastPeers.length, 3);
});

test('$PARAM definitions, ${PARAM} recursive expansion at use time, $X expanding to @id', () => {
  const text = fs.readFileSync(path.join(FIX, 'manpage', 'parameters.conf'), 'utf8');
  const vi = parseText(text, 'main').config.vrrpInstances[0];
  assert.equal(vi.priority, 240);
  assert.equal(vi.advertInt, 2);
  assert.deepEqual(vi.virtualIpaddress.map((a) => a.address), ['192.0.2.100', '192.0.2.200']);
  const b = parseText(text, 'backup').config.vrrpInstances[0];
  assert.equal(b.priority, 200);
  assert.equal(b.advertInt, 1);
});

test('multi-line parameters expand into whole blocks', () => {
  const text = fs.readFileSync(path.join(FIX, 'manpage', 'multiline.conf'), 'utf8');
  const c = parseText(text, 'high').config;
  assert.deepEqual(c.vrrpInstances.map((v) => [v.name, v.interface, v.priority, v.useVmac, v.virtualIpaddress[0].address]), [
    ['VI_0', 'eth0.0', 130, 'vrrp0.1', '192.0.2.250'],
    ['VI_1', 'eth0.1', 130, 'vrrp1.1', '192.0.2.251'],
  ]);
});

test('~SEQ / ~SEQx generators', () => {
  const c = parseText(fs.readFileSync(path.join(FIX, 'manpage', 'sequence.conf'), 'utf8')).config;
  const v6 = c.vrrpInstances[0].virtualIpaddress.map((a) => a.address);
  assert.deepEqual(v6.slice(0, 4), ['2001:db8::20:90:1', '2001:db8::20:a0:1', '2001:db8::20:b0:1', '2001:db8::20:c0:1']);
  assert.equal(v6.length, 4 + 4 * 7);
  assert.equal(v6[4], '2001:db8:1::10:90:12');
  assert.equal(v6[10], '2001:db8:1::10:90:c');
  assert.deepEqual(c.vrrpInstances[1].virtualIpaddress.map((a) => a.address), ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13']);
});

test('~LST generators: several variables, nesting, combined with ~SEQ', () => {
  const a = parseText(fs.readFileSync(path.join(FIX, 'manpage', 'list.conf'), 'utf8')).config.vrrpInstances[0].virtualIpaddress.map((x) => x.address);
  assert.deepEqual(a.slice(0, 4), ['192.0.2.101', '192.0.2.204', '192.0.2.56', '192.0.2.128']);
  assert.deepEqual(a.slice(4, 7), ['198.51.100.15', '198.51.100.16', '198.51.100.17']);
  assert.equal(a.length, 4 + 12 + 12);
  assert.deepEqual(a.slice(16, 22), ['198.51.100.101', '198.51.100.121', '198.51.100.141', '198.51.100.204', '198.51.100.224', '198.51.100.244']);
});

test('blocks: "{" on the next line and several blocks on one line', () => {
  const r = parseText(fs.readFileSync(path.join(FIX, 'manpage', 'one-line-blocks.conf'), 'utf8'));
  assert.deepEqual(errors(r), []);
  const vi = r.config.vrrpInstances[0];
  assert.equal(vi.name, 'VI_ONE');
  assert.deepEqual(vi.authentication, { type: 'PASS', pass: 'secret1' });
  assert.equal(vi.virtualIpaddress[0].address, '192.0.2.100');
  assert.deepEqual(vi.trackInterfaces, [{ name: 'eth0', weight: -10, reverse: false }]);
});

test('include: globs and paths relative to the including file, csh braces', () => {
  const dir = tmpdir();
  fs.mkdirSync(path.join(dir, 'conf.d'));
  fs.mkdirSync(path.join(dir, 'conf.d', 'sub'));
  fs.writeFileSync(path.join(dir, 'main.conf'), 'include conf.d/*.conf\ninclude {conf.d/x,conf.d/y}.inc\n');
  fs.writeFileSync(path.join(dir, 'conf.d', 'a.conf'), VI(' priority 91').replace('VI_1', 'A'));
  fs.writeFileSync(path.join(dir, 'conf.d', 'b.conf'), 'include sub/c.inc\n');
  fs.writeFileSync(path.join(dir, 'conf.d', 'sub', 'c.inc'), VI('').replace('VI_1', 'C').replace('51', '52'));
  fs.writeFileSync(path.join(dir, 'conf.d', 'x.inc'), 'global_defs {\n router_id X\n}\n');
  fs.writeFileSync(path.join(dir, 'conf.d', 'y.inc'), VI('').replace('VI_1', 'Y').replace('51', '53'));
  const r = parseConfig(path.join(dir, 'main.conf'), { configId: 'x', checkScripts: false });
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config.vrrpInstances.map((v) => v.name), ['A', 'C', 'Y']);
  assert.equal(r.config.globalDefs.routerId, 'X');
  assert.ok(r.config.vrrpInstances[1].file.endsWith(path.join('sub', 'c.inc')));
});

test('lvs: virtual_server_group, virtual_server group, real_server checkers', () => {
  const r = parseText(fs.readFileSync(path.join(FIX, 'manpage', 'lvs.conf'), 'utf8'));
  assert.deepEqual(errors(r), []);
  const vs = r.config.virtualServers[0];
  assert.equal(vs.group, 'VSG_1');
  assert.equal(vs.lbKind, 'DR');
  assert.deepEqual(vs.realServers[0].checkers[0].urls[0].statusCode, ['200-299']);
  assert.deepEqual(vs.realServers[1].checkers.map((c) => c.type), ['TCP_CHECK', 'PING_CHECK', 'DNS_CHECK', 'SMTP_CHECK', 'UDP_CHECK']);
  assert.equal(r.config.virtualServerGroups.VSG_1.members.length, 3);
});

test('virtual_server_group: an empty quoted member is an invalid address, not a parser crash', () => {
  const r = parseText('virtual_server_group G {\n ""\n 192.0.2.10 80\n}\n');
  assert.deepEqual(errors(r).map((d) => [d.code, d.message]), [['E_CONFIG_SYNTAX', "virtual_server_group G: invalid address ''"]]);
  assert.deepEqual(r.config.virtualServerGroups.G!.members.map((m) => m.address), ['192.0.2.10']);
});

test('parsing a missing main file is fatal (keepalived: cannot run, exit 4)', () => {
  const r = parseConfig('/nonexistent/keepalived.conf');
  assert.equal(r.fatal, true);
  assert.equal(configTestExitCode(r), 4);
});

test('rules without a preference get 16384, 16383, ... per address family in file order, as keepalived 2.2.7 assigns them', () => {
  // measured with keepalived 2.2.7 -t / -d on this very configuration: the vrrp_instance written first
  // takes 16384 for IPv4; static_rules continue with 16383, 16382 (iif without family is IPv4); IPv6
  // has its own counter; a rule with a preference neither takes nor consumes a number
  const r = parseText(
    'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n virtual_ipaddress {\n  192.0.2.100/24\n }\n virtual_rules {\n  from 192.0.2.100 table 110\n  from 2001:db8::100 table 111\n }\n}\n'
    + 'static_rules {\n iif eth0 table 100\n from 198.51.100.0/24 table 101 preference 200\n to 192.0.2.0/24 table 102\n iif eth1 table 103 inet6\n}\n',
  );
  assert.deepEqual(errors(r), []);
  assert.deepEqual(r.config.vrrpInstances[0].virtualRules.map((x) => [x.family, x.priority]), [[4, 16384], [6, 16384]]);
  assert.deepEqual(r.config.staticRules.map((x) => [x.family ?? 4, x.priority]), [[4, 16383], [4, 200], [4, 16382], [6, 16383]]);
  const warned = r.diagnostics.filter((d) => d.code === 'E_CONFIG_MISSING').map((d) => [d.line, d.message]);
  assert.deepEqual(warned, [
    [8, 'Rule has no preference specified - setting to 16384. This is probably not what you want.'],
    [9, 'Rule has no preference specified - setting to 16384. This is probably not what you want.'],
    [13, 'Rule has no preference specified - setting to 16383. This is probably not what you want.'],
    [15, 'Rule has no preference specified - setting to 16382. This is probably not what you want.'],
    [16, 'Rule has no preference specified - setting to 16383. This is probably not what you want.'],
  ]);
});
