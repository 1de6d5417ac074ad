/**
 * When the model worker is restarted after a crash or hang, and when the client gives up: each crash
 * counts for `crashWindowMs`; the n-th counted crash waits `backoffMs[n - 1]` (the last delay repeats);
 * `maxCrashes` counted crashes stop the retries until the settings change or the window reloads.
 */
export interface RestartPolicy {
  /** Delays before restart 1, 2, ..., ms; the last one repeats. */
  backoffMs: readonly number[];
  /** This many crashes within `crashWindowMs` and the client gives up. */
  maxCrashes: number;
  crashWindowMs: number;
}

type RestartDecision =
  /** `crashes`: the crash times still counted, this one included (ms since the epoch). */
  | { action: 'restart'; delayMs: number; crashes: number[] }
  | { action: 'give-up'; crashes: number[] };

/** The crash times that still count at `now`. */
export function recentCrashes(crashes: readonly number[], now: number, crashWindowMs: number): number[] {
  return crashes.filter((t) => now - t < crashWindowMs);
}

/** What to do after a crash at `now`, given the earlier crash times. */
export function afterCrash(earlier: readonly number[], now: number, policy: RestartPolicy): RestartDecision {
  const crashes = [...recentCrashes(earlier, now, policy.crashWindowMs), now];
  if (crashes.length >= policy.maxCrashes) return { action: 'give-up', crashes };
  const delayMs = policy.backoffMs[Math.min(crashes.length - 1, policy.backoffMs.length - 1)];
  return { action: 'restart', delayMs, crashes };
}
