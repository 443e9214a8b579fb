/**
 * The test actor kinds (test/fixtures/actors): typed like the daemon's (src/actors/kinds.ts), with
 * the pool and restart policy each test wants.
 */
import * as path from 'node:path';
import { actorKind } from '../../src/actors/runtime';
import type { Pool, RestartPolicy } from '../../src/supervisor';

const FIX = path.join(__dirname, '..', 'fixtures', 'actors');

/** counts `seq` messages (snapshot), echoes, crashes on request, spams its host */
export const counterKind = (pool: Pool, restartPolicy?: RestartPolicy, name = 'counter') =>
  actorKind<typeof import('../fixtures/actors/counter').actor>({ name, module: path.join(FIX, 'counter.js'), pool, restartPolicy });

/** sends `tick` every `periodMs` from its own timer */
export const tickerKind = (pool: Pool) =>
  actorKind<typeof import('../fixtures/actors/ticker').actor>({ name: 'ticker', module: path.join(FIX, 'ticker.js'), pool });
