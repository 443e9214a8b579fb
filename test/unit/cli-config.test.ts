import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs, daemonOptions } from '../../src/cli';
import { signumOf } from '../../src/daemon/signal-table';
import { ROOT, configFiles, configIdOf, goldenPathOf, normalizedModel } from '../helpers/config-golden';

const CLI = path.join(__dirname, '..', '..', 'src', 'cli.js');

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(CLI)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`, '--', ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('-t reports no error and -d --json prints the typed model pinned by the golden file, for every example and man-page snippet', () => {
  const files = configFiles();
  assert.ok(files.length >= 30);
  for (const f of files) {
    const id = configIdOf(f);
    const t = cli(['-t', '-f', f, '-i', id]);
    assert.ok(t.code === 0 || t.code === 5, `${f}: ${t.code} ${t.stderr}`); // 5: keepalived's warnings (config-differential pins which)
    assert.doesNotMatch(t.stderr, /: error: /, f);
    const d = cli(['-d', '--json', '-f', f, '-i', id]);
    assert.equal(d.code, 0, `${f}: ${d.stderr}`);
    assert.equal(normalizedModel(JSON.parse(d.stdout)), fs.readFileSync(goldenPathOf(f), 'utf8'), `${f}: -d --json differs from ${goldenPathOf(f)}`);
  }
});

test('-t: a missing file exits 0 after saying so (keepalived 2.2.7), errors exit 5 with file:line in the message', () => {
  const m = cli(['-t', '-f', '/nonexistent/k.conf']);
  assert.equal(m.code, 0);
  assert.match(m.stderr, /Config files missing '\/nonexistent\/k.conf'/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-cli-'));
  const f = path.join(dir, 'k.conf');
  fs.writeFileSync(f, 'vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n}\n');
  const r = cli(['-t', '-f', f]);
  assert.equal(r.code, 5);
  assert.match(r.stderr, new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: error: virtual_router_id: number '300' outside range \\[1, 255\\] \\[E_CONFIG_RANGE\\]`));
});

test('-d prints the effective configuration as text', () => {
  const r = cli(['-d', '-f', path.join(ROOT, 'config', 'examples', 'unicast', 'node1.conf')]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /vrrp_instance VI_1 \{/);
  assert.match(r.stdout, /unicast_src_ip 192\.0\.2\.11/);
});

test('--signum prints the signal numbers keepalived uses', () => {
  assert.equal(cli(['--signum=RELOAD']).stdout, '1\n');
  assert.equal(cli(['--signum', 'STOP']).stdout, '15\n');
  assert.equal(signumOf('DATA'), 10);
  assert.equal(signumOf('STATS'), 12);
  assert.equal(cli(['--signum=BOGUS']).code, 1);
});

test('-v, -h, and an unknown option', () => {
  assert.match(cli(['-v']).stdout, /keepalived-ts/);
  assert.match(cli(['--help']).stdout, /--use-file/);
  assert.equal(cli(['--bogus']).code, 1);
});

test('daemon options: short and long forms, bundled flags, ours', () => {
  const o = parseArgs(['-nlD', '-f', 'a.conf', '-P', '-p', '/run/a.pid', '--vrrp_pid=/run/v.pid', '-c', '/run/c.pid', '-i', 'n1', '-g', '/tmp/l', '--control-socket', '/run/s', '--enable-fault-injection', '--dont-release-vrrp', '--actor-threads', '3', '--data-file', '/tmp/d', '--stats-file', '/tmp/s', '-S', '2', '-G', '--log-format', 'text', '--metrics-listen', '127.0.0.1:9650']);
  assert.deepEqual(daemonOptions(o), {
    configFile: 'a.conf', configId: 'n1', dontFork: true, logConsole: true, logDetail: true, logFile: '/tmp/l', vrrpOnly: true, checkOnly: false,
    logFacility: 2, noSyslog: true, logFormat: 'text',
    pidFile: '/run/a.pid', vrrpPidFile: '/run/v.pid', checkersPidFile: '/run/c.pid', controlSocket: '/run/s', dontReleaseVrrp: true,
    enableFaultInjection: true, actorThreads: 3, dataFile: '/tmp/d', statsFile: '/tmp/s', metricsListen: '127.0.0.1:9650',
  });
  // control-client commands and probes
  assert.equal(parseArgs(['--health']).client, 'health');
  assert.deepEqual([parseArgs(['--ready=VI_1']).client, parseArgs(['--ready=VI_1']).readyInstance], ['ready', 'VI_1']);
  assert.equal(parseArgs(['--ready']).readyInstance, undefined);
  assert.equal(parseArgs(['--reload']).client, 'reload');
  assert.equal(parseArgs(['--stats']).client, 'stats');
  assert.equal(parseArgs([]).configFile, '/etc/keepalived/keepalived.conf');
  assert.throws(() => parseArgs(['--actor-threads', '0']));
});

test('--dump-state parses --format and reports clearly when the supervisor cannot answer', () => {
  const o = parseArgs(['--dump-state', '--format', 'json', '--control-socket', '/nonexistent/sock']);
  assert.equal(o.dumpState, true);
  assert.equal(o.format, 'json');
  const r = cli(['--dump-state', '--format', 'json', '--control-socket', '/nonexistent/sock']);
  assert.notEqual(r.code, 0);
  assert.ok(r.stderr.length > 0);
});
