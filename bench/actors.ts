/**
 * Actor runtime bench: `node dist/bench/actors.js` (each step runs in its own process so RSS is clean).
 * For 1, 16, 255 and 1,255 actors (255 vrrp-pool + 1,000 checker-pool): process RSS, start time,
 * restart latency (crash → running) p50/p99, message round trip p50/p99.
 * Goals: 255 + 1,000 under 200 MB RSS; restart p99 < 50 ms.
 */
import { fork } from 'node:child_process';
import { pino } from 'pino';
import { Supervisor } from '../src/supervisor';
import { defaultGarpParams, type InstanceParams } from '../src/actors/vrrp';
import { VRRP } from '../src/actors/kinds';
import { counterKind } from '../test/helpers/fixture-kinds';

interface ActorOut { id: string; msg: { type: string } }
interface Row { actors: string; rssMb: number; startMs: number; restartP50: number; restartP99: number; rttP50: number; rttP99: number }

const pct = (a: number[], p: number): number => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

async function step(vrrp: number, checker: number): Promise<Row> {
  const sup = new Supervisor({ log: pino({ level: 'silent' }), hostLogLevel: 'silent', restartPolicy: { maxRestarts: 1_000_000, withinMs: 1000, backoffMs: [0] } });
  const v = counterKind('vrrp', undefined, 'v');
  const c = counterKind('checker', undefined, 'c');
  const ids: string[] = [];
  const waiters = new Map<string, (e: ActorOut) => void>();
  const onOut = (id: string, msg: ActorOut['msg']): void => waiters.get(id)?.({ id, msg });
  sup.register(v, onOut);
  sup.register(c, onOut);
  const kindOf = (id: string) => (id.startsWith('VI_') ? v : c);
  const next = (id: string, type: string): Promise<ActorOut> => new Promise((r) => waiters.set(id, (e) => {
    if (e.msg.type === type) {
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
    sup.spawn(id, i < vrrp ? v : c, {});
  });
  await Promise.all(ups);
  const startMs = performance.now() - t0;
  // round trip: one echo at a time to a rotating actor
  const rtt: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const id = ids[i % ids.length]!;
    const p = next(id, 'echo');
    const t = performance.now();
    sup.send(kindOf(id), id, { type: 'echo', t });
    await p;
    rtt.push(performance.now() - t);
  }
  // restart latency: crash → started, 200 times, one at a time
  const restart: number[] = [];
  for (let i = 0; i < 200; i++) {
    const id = ids[(i * 7) % ids.length]!;
    const p = next(id, 'started');
    const t = performance.now();
    sup.send(kindOf(id), id, { type: 'crash' });
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

/**
 * The same load with the real VRRP instance actor (src/actors/vrrp/actor): 255 instances that start,
 * win their master-down timers and advertise every second (their effects flow to the supervisor as
 * in the daemon), next to 1,000 checker-pool actors. Restart = injected crash → running again.
 */
async function realStep(vrrp: number, checker: number): Promise<Row> {
  const sup = new Supervisor({ log: pino({ level: 'silent' }), hostLogLevel: 'silent', enableFaultInjection: true,
    restartPolicy: { maxRestarts: 1_000_000, withinMs: 1000, backoffMs: [0] } });
  // the daemon's VRRP kind, with this bench's restart policy
  const v = { ...VRRP, name: 'v', restartPolicy: undefined };
  const c = counterKind('checker', undefined, 'c');
  let effects = 0;
  sup.register(v, () => effects++);
  sup.register(c, () => effects++);
  const started = new Map<string, () => void>();
  sup.on('started', (e) => started.get(e.id)?.());
  const up = (id: string): Promise<void> => new Promise((r) => started.set(id, () => {
    started.delete(id);
    r();
  }));
  const ids: string[] = [];
  const t0 = performance.now();
  const ups: Promise<void>[] = [];
  for (let i = 0; i < vrrp + checker; i++) {
    const id = i < vrrp ? `VI_${i}` : `RS_${i}`;
    ids.push(id);
    ups.push(up(id));
    const params: InstanceParams = {
      name: id, vrid: (i % 255) + 1, version: 2, family: 4, priority: 100, advertIntCs: 100, initialState: 'BACKUP',
      preempt: true, preemptDelayMs: 0, accept: false, primaryAddress: '192.0.2.11', vips: [`198.51.100.${(i % 250) + 1}`],
      lowerPrioNoAdvert: false, higherPrioSendAdvert: false, garp: defaultGarpParams(),
    };
    if (i < vrrp) sup.spawn(id, v, { params });
    else sup.spawn(id, c, {});
  }
  await Promise.all(ups);
  const startMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5000)); // all become MASTER (3.65 s) and advertise
  const restart: number[] = [];
  for (let i = 0; i < 100; i++) {
    const id = ids[(i * 7) % vrrp]!;
    const p = up(id);
    const t = performance.now();
    sup.injectFault(id, 'crash');
    await p;
    restart.push(performance.now() - t);
  }
  await new Promise((r) => setTimeout(r, 1200));
  (global as { gc?: () => void }).gc?.();
  const rssMb = process.memoryUsage().rss / 1048576;
  const masters = sup.state().actors.filter((a) => (a.snapshot as { state?: string } | null)?.state === 'MASTER').length;
  await sup.shutdown();
  if (masters < vrrp) throw new Error(`only ${masters} of ${vrrp} real VRRP actors reached MASTER`);
  if (effects < vrrp) throw new Error(`only ${effects} effects messages from ${vrrp} actors`);
  return { actors: `${vrrp}+${checker} (real VRRP actors)`, rssMb, startMs, restartP50: pct(restart, 50), restartP99: pct(restart, 99), rttP50: NaN, rttP99: NaN };
}

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--step');
  if (arg >= 0) {
    const spec = process.argv[arg + 1]!;
    const [v, c] = spec.replace('r', '').split('+').map(Number);
    const row = spec.endsWith('r') ? await realStep(v!, c ?? 0) : await step(v!, c ?? 0);
    process.send!(row);
    return;
  }
  const steps = ['1', '16', '255', '255+1000', '255+1000r'];
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
  const f = (x: number | null): string => (x === null || Number.isNaN(x) ? 'n/a' : x.toFixed(1));
  console.log('| actors | RSS MB | start ms | restart p50 ms | restart p99 ms | round trip p50 ms | round trip p99 ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.actors} | ${f(r.rssMb)} | ${f(r.startMs)} | ${f(r.restartP50)} | ${f(r.restartP99)} | ${f(r.rttP50)} | ${f(r.rttP99)} |`);
  const big = rows.filter((r) => r.actors.startsWith('255+1000'));
  const worst = Math.max(...big.map((r) => r.rssMb));
  console.log(`\ngoal 255+1000 < 200 MB RSS: ${worst < 200 ? 'met' : 'MISSED'} (${big.map((r) => `${r.actors}: ${f(r.rssMb)} MB`).join(', ')}); restart p99 < 50 ms: ${rows.every((r) => r.restartP99 < 50) ? 'met' : 'MISSED'}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
