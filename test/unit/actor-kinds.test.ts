/**
 * The actor kinds (src/actors/kinds.ts): every kind names a module that exports an actor, names are
 * unique, and messages are typed by their kind from sender to receiver — the @ts-expect-error lines
 * below fail the build (tsc) if a wrong init, message or output field would be accepted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as kinds from '../../src/actors/kinds';
import type { Supervisor } from '../../src/supervisor';

test('every actor kind has a unique name and a module exporting an actor with start and receive', async () => {
  const all = Object.values(kinds);
  assert.equal(new Set(all.map((k) => k.name)).size, all.length);
  for (const k of all) {
    const m = (await import(k.module)) as { actor?: { start?: unknown; receive?: unknown } };
    assert.equal(typeof m.actor?.start, 'function', `${k.name}: ${k.module}`);
    assert.equal(typeof m.actor?.receive, 'function', `${k.name}: ${k.module}`);
    assert.ok(['vrrp', 'checker', 'notifier'].includes(k.pool));
  }
});

/** Compiled, never called: tsc checks the typing of the actor boundary. */
export function typedBoundary(sup: Supervisor): void {
  // @ts-expect-error a VRRP actor's init needs its params
  sup.spawn('x', kinds.VRRP, { wrong: 1 });
  sup.spawn('link:eth0', kinds.LINK, { ifname: 'eth0', up: true });
  // @ts-expect-error a VRRP message is not a link monitor's
  sup.send(kinds.LINK, 'link:eth0', { type: 'shutdown' });
  sup.send(kinds.VRRP, 'vrrp:VI_1', { type: 'shutdown' });
  sup.register(kinds.LINK, (_id, m) => {
    const ifname: string = m.ifname;
    // @ts-expect-error a link report has no priority
    void m.priority;
    void ifname;
  });
}
