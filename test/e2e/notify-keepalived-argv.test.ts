/**
 * Our notify argv against what the real keepalived 2.2.7 passes, through the daemon's real notify
 * path: in one lab host, keepalived at priority 255 becomes MASTER at once and is stopped; then
 * keepalived-ts runs the same configuration. Each daemon has its own copy of a script that writes
 * "$@" and its umask to a file (the copies differ only in where they write); the notify, notify_master
 * and notify_stop outputs and the notify_fifo lines must be identical. Ours must also start the
 * specific and the generic script together (keepalived forks both without waiting).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withLab, type Host } from '../helpers/lab';
import { until } from '../helpers/bench-daemon';
import { startKeepalived, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { scriptDir, withDaemons } from '../helpers/e2e';
import { fifoLine } from '../../src/actors/notifier/notify';

interface Side {
  dir: string;
  conf: string;
  fifoFd: number;
  /** the argv/umask outputs of one script tag */
  outputs(tag: string): string[];
  /** start times (ms) of one script tag's runs */
  starts(tag: string): number[];
  fifo(): string;
}

function side(prefix: string): Side {
  const dir = scriptDir(prefix);
  const dump = path.join(dir, 'dump.sh');
  // the start time goes to its own file so the compared output holds only argv and umask
  fs.writeFileSync(dump, `#!/bin/sh\ntag=$1; shift\ndate +%s%N > "${dir}/$tag.$$.start"\n` +
    `{ for a in "$@"; do echo "ARG:$a"; done; echo "UMASK:$(umask)"; } > "${dir}/$tag.$$.out"\nsleep 0.5\n`, { mode: 0o755 });
  const fifo = path.join(dir, 'fifo');
  const notifyRaw = `${dump} generic 'a b' c`;
  const conf = vrrpConfig({
    state: 'MASTER', priority: 255, vips: ['192.0.2.100/24'],
    extraGlobal: ['router_id kts-notify', 'script_user root', 'enable_script_security', `notify_fifo ${fifo}`],
    extraInstance: [`notify "${notifyRaw.replace(/"/g, '\\"')}"`, `notify_master "${dump} master x"`, `notify_stop '${dump} stop "y z"'`],
  });
  execFileSync('mkfifo', ['-m', '600', fifo]);
  const fifoFd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK); // our reader end
  const files = (tag: string, ext: string) => fs.readdirSync(dir).filter((f) => f.startsWith(`${tag}.`) && f.endsWith(ext)).sort();
  return {
    dir, conf, fifoFd,
    outputs: (tag) => files(tag, '.out').map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).sort(),
    starts: (tag) => files(tag, '.start').map((f) => Number(BigInt(fs.readFileSync(path.join(dir, f), 'utf8').trim()) / 1_000_000n)),
    fifo: () => {
      const buf = Buffer.alloc(4096);
      try {
        return buf.subarray(0, fs.readSync(fifoFd, buf)).toString();
      } catch {
        return ''; // EAGAIN: nothing written
      }
    },
  };
}

/** Run one daemon through MASTER and STOP; resolves once its STOP scripts have run. */
async function masterThenStop(h: Host, s: Side, start: (h: Host, conf: string) => DaemonHandle): Promise<void> {
  await withDaemons(async (keep) => {
    const d = keep(start(h, s.conf));
    await until(`MASTER notifies in ${s.dir}\n${d.logs().slice(-20).join('\n')}`,
      () => s.outputs('generic').length >= 1 && s.outputs('master').length >= 1, 10_000);
    await d.stop(5000);
    await until(`STOP notifies in ${s.dir}`, () => s.outputs('generic').length >= 2 && s.outputs('stop').length >= 1, 5000);
  }, { logLines: 30 });
}

test('notify / notify_master / notify_stop argv, umask and FIFO lines of the running daemon match keepalived 2.2.7', { timeout: 60_000 }, async () => {
  const ka = side('kts-argv-ka-');
  const ours = side('kts-argv-ts-');
  try {
    await withLab({ hosts: 1, timeoutMs: 55_000 }, async (lab) => {
      const h = lab.hosts[0]!;
      await masterThenStop(h, ka, startKeepalived);
      await h.waitForAddress('192.0.2.100', { present: false, timeoutMs: 3000 });
      await masterThenStop(h, ours, startKeepalivedTs);
    });
    for (const tag of ['generic', 'master', 'stop']) {
      assert.ok(ka.outputs(tag).length > 0, `keepalived ran the ${tag} script`);
      assert.deepEqual(ours.outputs(tag), ka.outputs(tag), `${tag} script: our argv/umask vs keepalived's`);
    }
    assert.deepEqual(ka.outputs('generic'), [
      'ARG:a b\nARG:c\nARG:INSTANCE\nARG:VI_1\nARG:MASTER\nARG:255\nUMASK:0177\n',
      'ARG:a b\nARG:c\nARG:INSTANCE\nARG:VI_1\nARG:STOP\nARG:255\nUMASK:0177\n',
    ]);
    const kaFifo = ka.fifo();
    assert.equal(kaFifo, fifoLine('INSTANCE', 'VI_1', 'MASTER', 255) + fifoLine('INSTANCE', 'VI_1', 'STOP', 255));
    assert.equal(ours.fifo(), kaFifo, 'notify_fifo lines: ours vs keepalived\'s');
    // each script sleeps 0.5 s: run one after the other, the generic would start ≥ 500 ms after notify_master
    const [m] = ours.starts('master');
    const g = Math.min(...ours.starts('generic'));
    assert.ok(m !== undefined && Math.abs(g - m) < 400, `notify_master and notify started ${Math.abs(g - (m ?? 0))} ms apart`);
  } finally {
    for (const s of [ka, ours]) {
      fs.closeSync(s.fifoFd);
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  }
});
