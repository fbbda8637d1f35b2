/**
 * The sample CI runs on every Node backend (scripts/test.sh) and, smaller, in Chromium. It
 * is fixed, so a failure reproduces from its case name alone; the nightly workflow runs
 * other seeds. 200 cases a loss bring each value of the largest domains (8 ranks, 8
 * weights) round 25 times, above the 20 a class must have.
 */
export const CI_SAMPLE = { seed: 1, cases: 2800, browserCases: 420, minPerClass: 20 } as const;
