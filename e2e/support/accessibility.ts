import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** The WCAG 2.0 and 2.1 success criteria at levels A and AA, as axe-core tags them. */
const wcagTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/**
 * Runs axe-core inside the page, as it is, against WCAG 2 A and AA. The script is evaluated over
 * the DevTools protocol, so the page's own Content-Security-Policy stays as it is served.
 * Answers the violations, one line each, with the elements that fail.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  // Colours are judged as they settle: a fade or a slide still running would be measured half
  // way. Endless animations (a typing indicator, a spinner) are left running.
  await page.evaluate(async () => {
    const document = (globalThis as unknown as { document: { getAnimations(): Animation[] } })
      .document;
    interface Animation {
      finished: Promise<unknown>;
      effect: { getComputedTiming(): { iterations?: number } } | null;
    }
    const finite = document
      .getAnimations()
      .filter((a) => (a.effect?.getComputedTiming().iterations ?? 1) !== Infinity);
    await Promise.race([
      Promise.all(finite.map((a) => a.finished.catch(() => undefined))),
      new Promise((resolve) => setTimeout(resolve, 2000)),
    ]);
  });
  const violations = await page.evaluate(async (tags) => {
    // In the page: its window, typed loosely (this file is compiled without the DOM library).
    const page = globalThis as unknown as {
      document: unknown;
      axe: { run: (...args: unknown[]) => Promise<unknown> };
    };
    const result = (await page.axe.run(page.document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    })) as { violations: Violation[] };
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })),
    }));
  }, wcagTags);
  return violations.map(
    (v) =>
      `${v.id} (${v.impact ?? 'unknown'}): ${v.help}\n` +
      v.nodes
        .slice(0, 8)
        .map(
          (n) =>
            `    ${JSON.stringify(n.target)}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')}`,
        )
        .join('\n'),
  );
}

/** Fails with every violation listed when the page is not accessible as it stands. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await accessibilityViolations(page);
  if (violations.length > 0) {
    throw new Error(`accessibility violations on ${where}:\n  ${violations.join('\n  ')}`);
  }
}
