#!/usr/bin/env node
/**
 * gluon-loss-choices: which backend the router picks for each loss on this machine, and
 * why. For every loss it runs a golden-sized call and a large one (see sample-inputs.ts)
 * through `createLoss`, forward and forward+backward, and prints loss → chosen backend →
 * the times it chose on. What it prints is this machine's answer, not a constant.
 *
 *   node packages/router/dist/choices.js [--markdown] [--json FILE] [--size small|large] [--loss NAME]...
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LOSS_NAMES, canonicalLossName, type CanonicalLossName } from '@gluon-loss/spec';
import type { CallMode } from './decisions.js';
import type { Explanation, RouteExplanation } from './explanation.js';
import { createRouter } from './router.js';
import { sampleCall, type SampleSize } from './sample-inputs.js';

interface Choice {
  readonly loss: CanonicalLossName;
  readonly size: SampleSize;
  readonly input: string;
  readonly mode: CallMode;
  readonly backend: string;
  readonly why: string;
  readonly explanation: Explanation;
}

function usage(message: string): never {
  console.error(`gluon-loss-choices: ${message}\n${USAGE}`);
  process.exit(2);
}

const USAGE = 'usage: gluon-loss-choices [--markdown] [--json FILE] [--size small|large]... [--loss NAME]...';

/** Node's own argument parser (node:util): typed options and errors for unknown flags, nothing hand-rolled. */
function parseOptions(argv: readonly string[]): {
  markdown: boolean;
  json?: string;
  sizes: SampleSize[];
  losses: CanonicalLossName[];
} {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        markdown: { type: 'boolean', default: false },
        json: { type: 'string' },
        size: { type: 'string', multiple: true },
        loss: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const sizes = (values.size ?? ['small', 'large']).map((s) =>
    s === 'small' || s === 'large' ? s : usage('--size takes small or large'),
  );
  const losses = (values.loss ?? [...LOSS_NAMES]).map((l) => {
    try {
      return canonicalLossName(l);
    } catch (e) {
      return usage((e as Error).message);
    }
  });
  return { markdown: values.markdown, ...(values.json !== undefined ? { json: values.json } : {}), sizes, losses };
}

function ms(v: number): string {
  return v >= 100 ? `${v.toFixed(0)} ms` : v >= 1 ? `${v.toFixed(2)} ms` : `${v.toPrecision(2)} ms`;
}

/** The short why: the rule, the winner's median, and how far behind the others were. */
function shortReason(route: RouteExplanation): string {
  if (route.rule !== 'fastest') return route.reason;
  const timed = route.timings.filter((t) => t.medianMs !== null).sort((a, b) => a.medianMs! - b.medianMs!);
  const best = timed[0]!.medianMs!;
  const others = timed
    .slice(1)
    .map((t) => `${t.backend} ${best > 0 ? `${(t.medianMs! / best).toFixed(1)}x` : ms(t.medianMs!)}`);
  const failed = route.timings.filter((t) => t.medianMs === null).map((t) => `${t.backend} ${t.status}`);
  return [
    `fastest: ${ms(best)} median`,
    others.length > 0 ? `vs ${others.join(', ')}` : '',
    failed.length > 0 ? `(${failed.join(', ')})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function formatTable(rows: readonly (readonly string[])[], markdown: boolean): string {
  if (markdown) {
    const line = (r: readonly string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
    return [line(rows[0]!), line(rows[0]!.map(() => '---')), ...rows.slice(1).map(line)].join('\n');
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const router = createRouter();
  const choices: Choice[] = [];
  for (const loss of opts.losses) {
    const routed = await router.createLoss(loss);
    try {
      for (const size of opts.sizes) {
        const call = sampleCall(loss, size);
        for (const mode of ['forward', 'forwardBackward'] as const) {
          if (mode === 'forward') await routed.forward(call.inputs);
          else await routed.forwardBackward(call.inputs, call.headGrad);
          const explanation = routed.explain();
          const last = explanation.lastCall!;
          const route = explanation.routes.find((r) => r.mode === mode && r.bucket === last.bucket)!;
          choices.push({
            loss,
            size,
            input: call.description,
            mode,
            backend: last.backend,
            why: shortReason(route),
            explanation,
          });
          process.stderr.write(`  ${loss} ${size} ${mode}: ${last.backend}\n`);
        }
      }
    } finally {
      routed.dispose();
    }
  }
  const header = ['loss', 'input', 'mode', 'backend', 'why'];
  const rows = choices.map((c) => [c.loss, c.input, c.mode, c.backend, c.why]);
  const availability = router.availability();
  console.log(
    `Backends here (node ${process.versions.node}): ${availability.map((a) => `${a.backend} ${a.state}${a.reason ? ` (${a.reason})` : ''}`).join(', ')}`,
  );
  console.log(formatTable([header, ...rows], opts.markdown));
  if (opts.json !== undefined) {
    writeFileSync(
      opts.json,
      JSON.stringify({ availability, decisions: JSON.parse(router.exportDecisions()), choices }, null, 1) + '\n',
    );
    console.log(`written to ${opts.json}`);
  }
  await router.dispose();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exitCode = 1;
  },
);
