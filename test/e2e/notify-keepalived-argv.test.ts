/**
 * Our notify argv against what the real keepalived 2.2.7 passes: one keepalived at priority 255 in a
 * namespace of our own (veth pair, 192.0.2.0/24) becomes MASTER at once; its notify scripts write "$@"
 * and their umask to files; our notifyInvocations()+execNotifies() run the same scripts; the outputs
 * must be identical. The notify_fifo lines are compared too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from '../helpers/bench-daemon';
import { execNotifies, fifoLine, notifyInvocations, splitCommandLine, type NotifyConfig } from '../../src/actors/notifier/notify';

const NS = `kts-notify-${process.pid}`;
const sh = (...a: string[]) => execFileSync(a[0]!, a.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function readOutputs(dir: string, prefix: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith(prefix + '.')).sort()
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
}

test('notify / notify_master / notify_stop argv, umask and FIFO lines match keepalived 2.2.7', async () => {
  assert.equal(process.getuid?.(), 0, 'this test needs root (network namespaces)');
  assert.ok(fs.existsSync('/usr/sbin/keepalived'), 'keepalived 2.2.7 must be installed at /usr/sbin/keepalived');
  const kaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-ka-'));
  const ourDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-our-'));
  fs.chmodSync(kaDir, 0o755);
  fs.chmodSync(ourDir, 0o755);
  const scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-scripts-'));
  fs.chmodSync(scripts, 0o755);
  let ka: ReturnType<typeof spawn> | undefined;
  try {
    // OUTDIR decides where a run writes, so the same script serves keepalived and us
    const dump = path.join(scripts, 'dump.sh');
    fs.writeFileSync(dump, '#!/bin/sh\ntag=$1; shift\n{ for a in "$@"; do echo "ARG:$a"; done; echo "UMASK:$(umask)"; } > "$OUTDIR/$tag.$$"\n', { mode: 0o755 });
    const notifyRaw = `${dump} generic 'a b' c`;
    const masterRaw = `${dump} master x`;
    const stopRaw = `${dump} stop "y z"`;
    const fifo = path.join(kaDir, 'fifo');
    const conf = path.join(kaDir, 'keepalived.conf');
    fs.writeFileSync(conf, `global_defs {
  router_id kts-notify
  script_user root
  enable_script_security
  notify_fifo ${fifo}
}
vrrp_instance VI_1 {
  state MASTER
  interface kn0
  virtual_router_id 51
  priority 255
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
  notify "${notifyRaw.replace(/"/g, '\\"')}"
  notify_master "${masterRaw}"
  notify_stop '${stopRaw}'
}
`);
    sh('ip', 'netns', 'add', NS);
    sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'add', 'kn0', 'type', 'veth', 'peer', 'name', 'kn1');
    for (const l of ['lo', 'kn0', 'kn1']) sh('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', l, 'up');
    sh('ip', 'netns', 'exec', NS, 'ip', 'addr', 'add', '192.0.2.11/24', 'dev', 'kn0');
    sh('mkfifo', '-m', '600', fifo);
    const fifoFd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK); // our reader end
    ka = spawn('ip', ['netns', 'exec', NS, '/usr/sbin/keepalived', '-n', '-l', '-D', '-P', '-f', conf,
      '-p', path.join(kaDir, 'k.pid'), '-r', path.join(kaDir, 'v.pid')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OUTDIR: kaDir } });
    let log = '';
    ka.stdout!.on('data', (d) => (log += d));
    ka.stderr!.on('data', (d) => (log += d));
    await until(`MASTER notifies\n${log}`, () => readOutputs(kaDir, 'generic').length >= 1 && readOutputs(kaDir, 'master').length >= 1, 10_000);
    const exited = new Promise((r) => ka!.once('exit', r));
    ka.kill('SIGTERM');
    await exited;
    ka = undefined;
    await until(`STOP notifies\n${log}`, () => readOutputs(kaDir, 'generic').length >= 2 && readOutputs(kaDir, 'stop').length >= 1, 5000);
    const buf = Buffer.alloc(4096);
    let fifoText = '';
    try {
      const n = fs.readSync(fifoFd, buf);
      fifoText = buf.subarray(0, n).toString();
    } catch { /* empty */ }
    fs.closeSync(fifoFd);

    // the same transitions through our code
    const cfg: NotifyConfig = {
      notify: { raw: notifyRaw, argv: splitCommandLine(notifyRaw) },
      notifyMaster: { raw: masterRaw, argv: splitCommandLine(masterRaw) },
      notifyStop: { raw: stopRaw, argv: splitCommandLine(stopRaw) },
    };
    const env = { ...process.env, OUTDIR: ourDir };
    for (const state of ['MASTER', 'STOP'] as const) {
      const res = await execNotifies(notifyInvocations(cfg, 'INSTANCE', 'VI_1', state, 255), { env });
      assert.ok(res.every((r) => r.code === 0), JSON.stringify(res));
    }
    const sortText = (a: string[]) => [...a].sort();
    for (const tag of ['generic', 'master', 'stop']) {
      const theirs = sortText(readOutputs(kaDir, tag));
      const ours = sortText(readOutputs(ourDir, tag));
      assert.ok(theirs.length > 0, `keepalived ran the ${tag} script`);
      assert.deepEqual(ours, theirs, `${tag} script: our argv/umask vs keepalived's`);
    }
    assert.deepEqual(sortText(readOutputs(kaDir, 'generic')), [
      'ARG:a b\nARG:c\nARG:INSTANCE\nARG:VI_1\nARG:MASTER\nARG:255\nUMASK:0177\n',
      'ARG:a b\nARG:c\nARG:INSTANCE\nARG:VI_1\nARG:STOP\nARG:255\nUMASK:0177\n',
    ]);
    assert.equal(fifoText, fifoLine('INSTANCE', 'VI_1', 'MASTER', 255) + fifoLine('INSTANCE', 'VI_1', 'STOP', 255));
  } finally {
    if (ka) ka.kill('SIGKILL');
    try { sh('ip', 'netns', 'del', NS); } catch { /* not created */ }
    for (const d of [kaDir, ourDir, scripts]) fs.rmSync(d, { recursive: true, force: true });
  }
});
