import { KtsError } from '../util/errors';
import type { ConfigErrorCode, Diagnostic, Severity } from './model';

/** A configuration error with its location (STYLE.md §5). The parser throws nothing else. */
export class ConfigError extends KtsError {
  constructor(override readonly code: ConfigErrorCode, readonly file: string, readonly line: number, detail: string) {
    super(code, `${file}:${line}: ${detail}`);
    this.name = 'ConfigError';
  }
}

/** Collects diagnostics while parsing; keepalived reports and carries on. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  fatal = false;
  fileError = false;
  add(severity: Severity, code: ConfigErrorCode, file: string, line: number, message: string): void {
    this.list.push({ severity, code, file, line, message });
  }
  /** A warning of ours that keepalived does not count (see Diagnostic.ours). */
  note(code: ConfigErrorCode, file: string, line: number, message: string): void {
    this.list.push({ severity: 'warning', code, file, line, message, ours: true });
  }
  error(code: ConfigErrorCode, file: string, line: number, message: string): void {
    this.add('error', code, file, line, message);
  }
  warn(code: ConfigErrorCode, file: string, line: number, message: string): void {
    this.add('warning', code, file, line, message);
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.severity}: ${d.message} [${d.code}]`;
}
