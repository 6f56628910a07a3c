// The manual: every program of package.json "bin" has a page in doc/ with the structure that
// scripts/man.mjs turns into a man page (doc/README.md), and every such man page renders without a
// groff warning and still carries the page's synopsis and exit codes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/sandbox.ts';

const DOC = join(ROOT, 'doc');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; man: string[] };
/** A program page's title line; the other pages (design.md, ...) have other titles. */
const PROGRAM_TITLE = /^# ([a-z0-9][a-z0-9._+-]*) — /;

const programPages = readdirSync(DOC)
  .filter((f) => f.endsWith('.md') && PROGRAM_TITLE.test(readFileSync(join(DOC, f), 'utf8')))
  .map((f) => f.slice(0, -3))
  .sort();

/** The lines of the first fenced block of `## Synopsis`. */
function synopsis(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Synopsis'))!;
  return section.split('```')[1]!.split('\n').slice(1).filter((l) => l.trim() !== '');
}

/** The first column of the tables of `## Exit codes`. */
function exitCodes(markdown: string): string[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Exit codes'))!;
  return section.split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) => l.split('|')[1]!.trim())
    .filter((c) => /\d/.test(c) && !/^:?-+:?$/.test(c));
}

/** groff's rendering as plain text (bold and underline removed), and its warnings. */
function render(page: string): { text: string; warnings: string } {
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-rLL=200n', page], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  expect(r.error, 'groff must be installed (apt-get install groff-base, or man-db)').toBeUndefined();
  return { text: r.stdout.replace(/.\x08/g, '').replace(/\x1b\[[0-9;]*m/g, ''), warnings: r.stderr };
}

const squeeze = (s: string) => s.replace(/\s+/g, ' ').trim();

describe('doc/ and man pages', () => {
  let out: string;
  let run: ReturnType<typeof spawnSync>;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'svtools-man-'));
    run = spawnSync(process.execPath, [join(ROOT, 'scripts/man.mjs'), '--out', out], { encoding: 'utf8' });
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('has a doc page for every program in package.json "bin", and lists its man page in "man"', () => {
    for (const name of Object.keys(pkg.bin)) {
      expect(existsSync(join(DOC, `${name}.md`)), `doc/${name}.md`).toBe(true);
      expect(pkg.man, `package.json "man" lists ${name}.1`).toContain(`./man/man1/${name}.1`);
    }
  });

  it('converts every program page without an error', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(programPages.map((p) => `${p}.1`));
  });

  it.each(programPages)('%s.1 renders without warnings, with its synopsis and every exit code', (name) => {
    const markdown = readFileSync(join(DOC, `${name}.md`), 'utf8');
    const page = join(out, `${name}.1`);
    expect(existsSync(page), `${name}.1 was written`).toBe(true);
    const { text, warnings } = render(page);
    expect(warnings).toBe('');
    expect(text).toMatch(new RegExp(`^NAME\\n\\s+${name} - `, 'm'));
    const lines = text.split('\n').map(squeeze);
    for (const line of synopsis(markdown)) expect(lines, `synopsis line of ${name}`).toContain(squeeze(line));
    const exitSection = text.slice(text.indexOf('\nEXIT CODES\n'), text.indexOf('\nEXAMPLES\n'));
    expect(exitSection.length).toBeGreaterThan(0);
    const codes = exitCodes(markdown);
    expect(codes.length).toBeGreaterThan(0);
    for (const code of codes) expect(exitSection, `exit code ${code} of ${name}`).toMatch(new RegExp(`^\\s+${code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`, 'm'));
  });
});
