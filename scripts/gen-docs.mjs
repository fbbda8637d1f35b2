#!/usr/bin/env node
// Writes docs/config-reference.md from the spec's zod schemas and input declarations
// (run `pnpm build` first). The spec's tests fail if the committed file is stale.
import { writeFileSync } from 'node:fs';
import { configReferenceMarkdown } from '@gluon-loss/spec';

const target = new URL('../docs/config-reference.md', import.meta.url);
writeFileSync(target, configReferenceMarkdown());
console.log(`wrote ${target.pathname}`);
