/**
 * Seeded randomness for the randomized tests (unit/config-fuzz, unit/protocol-fuzz,
 * e2e/daemon-robustness): the same seed gives the same sequence, so a failure reproduces from the
 * seed it printed.
 */
import { randomInt } from 'node:crypto';
import type { TestContext } from 'node:test';

/** mulberry32: a small 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let processSeed: number | undefined;

/**
 * The seed of this test process: TEST_SEED from the environment (a replay), else a fresh one drawn
 * once, so every randomized test of a file shares it and one TEST_SEED replays them all. Printed as
 * the test's diagnostic `TEST_SEED=<n>`, which scripts/run-tests.js reads from the test events and
 * passes to a retry.
 */
export function testSeed(t: TestContext): number {
  if (processSeed === undefined) {
    const env = process.env.TEST_SEED;
    if (env !== undefined && !/^\d+$/.test(env)) throw new Error(`TEST_SEED must be an integer, got ${JSON.stringify(env)}`);
    processSeed = env !== undefined ? Number(env) >>> 0 : randomInt(2 ** 32 - 1);
  }
  t.diagnostic(`TEST_SEED=${processSeed}`);
  return processSeed;
}
