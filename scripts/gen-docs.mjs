#!/usr/bin/env node
// Writes docs/config-reference.md from the spec's zod schemas and input declarations, and
// packages/spec/losses.json (the loss list the Python generator reads) from its registry
// (run `pnpm build` first). The spec's tests fail if a committed file is stale.
import { writeFileSync } from 'node:fs';
import { configReferenceMarkdown, lossListJson } from '@gluon-loss/spec';

const target = new URL('../docs/config-reference.md', import.meta.url);
writeFileSync(target, configReferenceMarkdown());
console.log(`wrote ${target.pathname}`);
const lossList = new URL('../packages/spec/losses.json', import.meta.url);
writeFileSync(lossList, lossListJson());
console.log(`wrote ${lossList.pathname}`);
