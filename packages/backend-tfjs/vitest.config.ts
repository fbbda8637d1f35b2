import { defineConfig } from 'vitest/config';

// Each test file runs in its own process (vitest's default isolation), so the files that
// initialise tfjs variants differently (missing wasm files) do not share tfjs's engine.
export default defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 120_000 } });
