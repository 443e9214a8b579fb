/**
 * Actor runtime bench: `node dist/bench/actors.js` (each step runs in its own process so RSS is clean).
 * For 1, 16, 255 and 1,255 actors (255 vrrp-pool + 1,000 checker-pool): process RSS, start time,
 * restart latency (crash → running) p50/p99, message round trip p50/p99.
 * Goals: 255 + 1,000 under 200 MB RSS; restart p99 < 50 ms.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { pino } from 'pino';
import { Supervisor, type ActorOut } from '../src/supervisor';

const COUNTER = path.join(__dirname, '..', 'test', 'fixtures', 'actors', 'counter.js');
interface Row { actors: string; rssMb: number; startMs: number; restartP50: number; restartP99: number; rttP50: number; rttP99: number }

const pct = (a: number[], p: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function step(vrrp: number, checker: number): Promise<Row> {
  const sup = new Supervisor({ log: pino({ level: 'silent' }), hostLogLevel: 'silent', restartPolicy: { maxRestarts: 1_000_000, withinMs: 1000, backoffMs: [0] } });
  sup.register('v', { module: COUNTER, pool: 'vrrp' });
  sup.register('c', { module: COUNTER, pool: 'checker' });
  const ids: string[] = [];
  const waiters = new Map<string, (e: ActorOut) => void>();
  sup.on('out', (e) => {
    const w = waiters.get(e.id);
    if (w) w(e);
  });
  const next = (id: string, type: string): Promise<ActorOut> => new Promise((r) => waiters.set(id, (e) => {
    if ((e.msg as { type: string }).type === type) {
      waiters.delete(id);
      r(e);
    }
  }));
  const t0 = performance.now();
  const ups: Promise<ActorOut>[] = [];
  for (let i = 0; i < vrrp; i++) ids.push(`VI_${i}`);
  for (let i = 0; i < checker; i++) ids.push(`RS_${i}`);
  ids.forEach((id, i) => {
    ups.push(next(id, 'started'));
    sup.spawn(id, i < vrrp ? 'v' : 'c', {});
  });
  await Promise.all(ups);
  const startMs = performance.now() - t0;
  // round trip: one echo at a time to a rotating actor
  const rtt: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const id = ids[i % ids.length]!;
    const p = next(id, 'echo');
    const t = performance.now();
    sup.send(id, { type: 'echo', t });
    await p;
    rtt.push(performance.now() - t);
  }
  // restart latency: crash → started, 200 times, one at a time
  const restart: number[] = [];
  for (let i = 0; i < 200; i++) {
    const id = ids[(i * 7) % ids.length]!;
    const p = next(id, 'started');
    const t = performance.now();
    sup.send(id, { type: 'crash' });
    await p;
    restart.push(performance.now() - t);
  }
  await new Promise((r) => setTimeout(r, 200));
  (global as { gc?: () => void }).gc?.();
  const rssMb = process.memoryUsage().rss / 1048576;
  await sup.shutdown();
  return {
    actors: checker ? `${vrrp}+${checker}` : String(vrrp), rssMb, startMs,
    restartP50: pct(restart, 50), restartP99: pct(restart, 99), rttP50: pct(rtt, 50), rttP99: pct(rtt, 99),
  };
}

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--step');
  if (arg >= 0) {
    const [v, c] = process.argv[arg + 1]!.split('+').map(Number);
    const row = await step(v!, c ?? 0);
    process.send!(row);
    return;
  }
  const steps = ['1', '16', '255', '255+1000'];
  const rows: Row[] = [];
  for (const s of steps) {
    process.stderr.write(`bench/actors: ${s} actors …\n`);
    const row = await new Promise<Row>((resolve, reject) => {
      const child = fork(__filename, ['--step', s], { execArgv: ['--expose-gc'] });
      child.once('message', (m) => resolve(m as Row));
      child.once('exit', (code) => code !== 0 && reject(new Error(`step ${s} exited ${code}`)));
    });
    rows.push(row);
    process.stderr.write(`bench/actors: ${s} done: ${row.rssMb.toFixed(0)} MB\n`);
  }
  const f = (x: number): string => x.toFixed(1);
  console.log('| actors | RSS MB | start ms | restart p50 ms | restart p99 ms | round trip p50 ms | round trip p99 ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.actors} | ${f(r.rssMb)} | ${f(r.startMs)} | ${f(r.restartP50)} | ${f(r.restartP99)} | ${f(r.rttP50)} | ${f(r.rttP99)} |`);
  const big = rows[rows.length - 1]!;
  console.log(`\ngoal 255+1000 < 200 MB RSS: ${big.rssMb < 200 ? 'met' : 'MISSED'} (${f(big.rssMb)} MB); restart p99 < 50 ms: ${rows.every((r) => r.restartP99 < 50) ? 'met' : 'MISSED'}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
