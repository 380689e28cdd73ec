/** Progress of a long read, reported by the workspace and shown by whatever transport is above it. */
export interface ProgressReporter {
  /** percent in 0..100. */
  report(percent: number, message?: string): void;
  done(): void;
}
