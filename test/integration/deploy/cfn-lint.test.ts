/**
 * `cfn-lint`, the linter AWS publishes for CloudFormation (it checks properties against the same resource schemas
 * CloudFormation validates with), on every template variant of test/support/template-variants.ts: no error, and
 * no warning that cfn-lint-allowed.ts does not list with its reason. cfn-lint is a Python tool (`pip install
 * cfn-lint`); without it the test is skipped, saying so, except in CI (CI=true), where it fails.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageCopy } from '../../support/package-stack.js';
import { TEMPLATE_VARIANTS } from '../../support/template-variants.js';
import { ALLOWED_WARNINGS } from './cfn-lint-allowed.js';

const run = promisify(execFile);

const cfnLintVersion = await run('cfn-lint', ['--version']).then(({ stdout }) => stdout.trim(), () => null);
const inCi = process.env['CI'] === 'true';
if (cfnLintVersion === null && !inCi) process.stderr.write('SKIPPED cfn-lint: cfn-lint is not installed (pip install cfn-lint)\n');

interface Finding {
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Rule: { Id: string };
  Location: { Path: Array<string | number> | null; Start: { LineNumber: number } };
}

/** Lints the templates in one cfn-lint run (one Python start-up); the findings of each, by file. */
async function lint(templates: string[]): Promise<Map<string, Finding[]>> {
  // Exit status 0 is clean, 2 errors, 4 warnings, 8 informational (or-ed); the findings come on stdout either way.
  const { stdout } = await run('cfn-lint', ['--format', 'json', '--', ...templates], { maxBuffer: 16 * 1024 * 1024 }).catch(
    (error: { stdout?: string; code?: number }) => {
      if (typeof error.code === 'number' && error.code > 0 && error.code < 16 && error.stdout !== undefined) return { stdout: error.stdout };
      throw error;
    },
  );
  const findings = JSON.parse(stdout) as Array<Finding & { Filename: string }>;
  return new Map(templates.map((template) => [template, findings.filter((finding) => path.resolve(finding.Filename) === path.resolve(template))]));
}

const isAllowed = (finding: Finding): boolean =>
  ALLOWED_WARNINGS.some(
    (allowed) => allowed.rule === finding.Rule.Id && (allowed.resource === '*' || finding.Location.Path?.[1] === allowed.resource),
  );

const describeFinding = (finding: Finding): string =>
  `${finding.Rule.Id} ${finding.Level} at ${(finding.Location.Path ?? []).join('.')} (line ${finding.Location.Start.LineNumber}): ${finding.Message}`;

describe.skipIf(cfnLintVersion === null && !inCi)('cfn-lint on every template variant', () => {
  let findingsOf: Map<string, Finding[]>;

  beforeAll(async () => {
    if (cfnLintVersion === null) return;
    // Two at a time: each is an osls process of its own.
    const templates: string[] = [];
    for (let index = 0; index < TEMPLATE_VARIANTS.length; index += 2) {
      const packaged = await Promise.all(TEMPLATE_VARIANTS.slice(index, index + 2).map(({ params }) => packageCopy(params)));
      templates.push(...packaged.map(({ dir }) => path.join(dir, 'cloudformation-template-update-stack.json')));
    }
    const byTemplate = await lint(templates);
    findingsOf = new Map(TEMPLATE_VARIANTS.map(({ name }, index) => [name, byTemplate.get(templates[index] ?? '') ?? []]));
  }, 300_000);

  it('is installed', () => {
    expect(cfnLintVersion, 'cfn-lint is missing: CI must have it (pip install cfn-lint)').not.toBeNull();
  });

  it.each(TEMPLATE_VARIANTS)('$name: no error, no warning without a written reason', ({ name }) => {
    const findings = findingsOf.get(name) ?? [];
    process.stdout.write(`cfn-lint (${cfnLintVersion ?? 'missing'}) ${name}: ${findings.length === 0 ? 'no findings' : findings.map(describeFinding).join('; ')}\n`);

    expect(findings.filter((finding) => finding.Level === 'Error').map(describeFinding)).toEqual([]);
    expect(findings.filter((finding) => finding.Level !== 'Error' && !isAllowed(finding)).map(describeFinding)).toEqual([]);
  });
});
