/**
 * Time of `keepalived-ts -t` (and of keepalived 2.2.7's -t, when installed) on the hostile inputs of
 * test/helpers/config-adversarial: goal under 2 s each. Run: node dist/bench/config-test.js
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeHostile } from '../test/helpers/config-adversarial';
import { ROOT } from '../test/helpers/config-golden';

const KEEPALIVED = '/usr/sbin/keepalived';

function time(cmd: string, args: string[]): { ms: number; status: string } {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'], timeout: 10_000 }); // keepalived loops on a glob include cycle
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, status: r.signal ? `killed ${r.signal}` : `exit ${r.status}` };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-bench-cfg-'));
try {
  const rows: string[][] = [['input', 'keepalived-ts -t', 'keepalived -t', 'goal']];
  for (const h of writeHostile(dir)) {
    const ours = time(process.execPath, [path.join(ROOT, 'bin', 'keepalived-ts'), '-t', '-f', h.main]);
    const ka = fs.existsSync(KEEPALIVED) ? time(KEEPALIVED, ['-t', '-f', h.main]) : undefined;
    rows.push([h.name, `${ours.ms.toFixed(0)} ms (${ours.status})`, ka ? `${ka.ms.toFixed(0)} ms (${ka.status})` : 'not installed', ours.ms < 2000 ? 'ok' : 'OVER 2 s']);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i])).join('  '));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
