import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from '../../src/actors/monitor/script';
import { runScriptJob } from '../../src/actors/notifier/script-job';
import { MessageChannel } from 'node:worker_threads';
import * as fs from 'node:fs';
import { pidAlive as alive } from '../helpers/lab';

/** Live (non-zombie) members of a process group; zombies are dead (this sandbox's init may not reap them). */
function liveMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

test('runScript: an aborted script is killed with its process group, like a timed-out one', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 150);
  const r = await runScript({ argv: ['/bin/sh', '-c', 'sleep 30 & sleep 30'], timeoutMs: 0, killGraceMs: 200, signal: ac.signal });
  assert.equal(r.aborted, true);
  assert.equal(r.timedOut, false);
  assert.ok(r.durationMs < 3000, `took ${r.durationMs} ms`);
  assert.ok(r.pid && !alive(r.pid));
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(liveMembers(r.pid!), [], 'the whole process group is gone');
});

test("script pool worker: the broker's 'abort' message stops the script through the same runner", async () => {
  const { port1, port2 } = new MessageChannel();
  setTimeout(() => port1.postMessage('abort'), 150);
  const r = await runScriptJob({ argv: ['/bin/sleep', '30'], timeoutMs: 0, killGraceMs: 200 }, port2);
  port1.close();
  assert.equal(r.aborted, true);
  assert.ok(r.durationMs < 3000);
});
