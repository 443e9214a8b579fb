/**
 * The checks a checker actor runs in its own thread (everything but MISC_CHECK, whose script runs in
 * the main thread's script pool, and PING_CHECK, whose raw socket lives in src/io/icmp.ts). One call,
 * one check, one Outcome (null: no verdict, e.g. an unreadable number in a
 * FILE_CHECK file, which keepalived ignores); never rejects.
 */
import { readTrackFile } from '../monitor/actor-file';
import type { CheckSpec } from './config';
import { httpCheck } from './http';
import type { Outcome } from './machine';
import { dnsCheck, smtpCheck, tcpCheck, udpCheck } from './probes';
import { fileVerdict } from './verdicts';

export type LocalSpec = Exclude<CheckSpec, { type: 'MISC_CHECK' | 'PING_CHECK' }>;

export function isLocal(spec: CheckSpec): spec is LocalSpec {
  return spec.type !== 'MISC_CHECK' && spec.type !== 'PING_CHECK';
}

/** Run one check; `url` is the HTTP_GET / SSL_GET URL index the machine asks for. */
export async function runLocalCheck(spec: LocalSpec, url: number, signal?: AbortSignal): Promise<Outcome | null> {
  try {
    switch (spec.type) {
      case 'TCP_CHECK':
        return await tcpCheck(spec, signal);
      case 'HTTP_GET':
      case 'SSL_GET':
        return await httpCheck(spec, url, signal);
      case 'SMTP_CHECK':
        return await smtpCheck(spec, signal);
      case 'DNS_CHECK':
        return await dnsCheck(spec, signal);
      case 'UDP_CHECK':
        return await udpCheck(spec, signal);
      case 'FILE_CHECK': {
        const r = readTrackFile(spec.file);
        // an out-of-range number: keepalived logs and keeps the previous value, so no new verdict
        if (!r.ok) return null;
        return fileVerdict(r.value, spec.weight, spec.reverse);
      }
      default: {
        const never: never = spec;
        return { ok: false, reason: `unsupported check ${(never as CheckSpec).type}` };
      }
    }
  } catch (e) {
    return { ok: false, reason: `check error: ${(e as Error).message}` };
  }
}
