import { defineConfig } from 'vitest/config';

// The golden suites (Node and Chromium) load every backend and time each on every case.
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 1_200_000 } });
