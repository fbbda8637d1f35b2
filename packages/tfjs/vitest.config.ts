import { defineConfig } from 'vitest/config';

// Each test file runs in its own process (vitest's default isolation): each picks its own
// tfjs backend, as an application would.
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 120_000 } });
