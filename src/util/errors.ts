/** Errors carry a stable `code` (STYLE.md §5): callers branch on it, people read `message`. */
export class KtsError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'KtsError';
  }
}
