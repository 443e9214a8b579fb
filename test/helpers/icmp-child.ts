/**
 * Child process for the ICMP e2e test (a test cannot enter a namespace itself): pings each address of
 * argv[2] (JSON {dsts, timeoutMs}) once with src/io/icmp.ts, all at once, and prints one JSON line
 * with the results in order.
 */
import { IcmpPinger } from '../../src/io/icmp';

async function main(): Promise<void> {
  const { dsts, timeoutMs } = JSON.parse(process.argv[2] ?? '{}') as { dsts: string[]; timeoutMs: number };
  const p = new IcmpPinger();
  try {
    const results = await Promise.all(dsts.map((d) => p.ping(d, timeoutMs)));
    process.stdout.write(JSON.stringify({ results, stats: p.stats }) + '\n');
  } finally {
    p.close();
  }
}

void main();
