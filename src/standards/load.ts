/**
 * Reading and validating framework files (see schema.ts), and the frameworks shipped with Warden.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonSyntaxError, locate, parseLocated, pathKey } from './locate.ts';
import { type Framework, frameworkSchema } from './schema.ts';

export type FrameworkProblem = { line: number; column: number; path: string; message: string };
export type FrameworkCheck = { ok: true; framework: Framework } | { ok: false; problems: FrameworkProblem[] };

/** "standards[3].criteria.red" for ['standards', 3, 'criteria', 'red']. */
const showPath = (path: readonly PropertyKey[]) =>
  path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '') || '(the document)';

/** Validates the text of a framework file, reporting each problem at its line and column. */
export function checkFramework(source: string): FrameworkCheck {
  let located: ReturnType<typeof parseLocated>;
  try {
    located = parseLocated(source);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { ok: false, problems: [{ ...err.position, path: '', message: `not valid JSON: ${err.message}` }] };
    throw err;
  }
  const parsed = frameworkSchema.safeParse(located.value);
  if (parsed.success) return { ok: true, framework: parsed.data };
  const problems = parsed.error.issues.map((issue) => {
    // An unknown property is reported where that property is written, not at the object that holds it.
    const path: PropertyKey[] = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
    // A value that is not there at all is "missing", which says more than "expected string, received undefined".
    const missing = issue.code === 'invalid_type' && path.length > 0 && !located.positions.has(pathKey(path));
    return { ...locate(located.positions, path), path: showPath(path), message: missing ? `missing: ${issue.message}` : issue.message };
  });
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, problems };
}

/** Formats problems as "FILE:LINE:COLUMN path: message" lines, the form editors and CI logs link to. */
export const formatProblems = (file: string, problems: FrameworkProblem[]) =>
  problems.map((p) => `${file}:${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n');

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The framework files shipped with Warden, in src/standards/: the commissioners' standards 2017-18 (002 ch. 4,
 * complete) first, then the NHS violence prevention and reduction standard's seven domains (whose published
 * indicators could not be obtained: see that file's notes).
 */
export const BUNDLED_FRAMEWORKS = ['nhs-protect-commissioners-2017-18.json', 'nhs-england-vpr-v2-2024-domains.json'].map((f) => join(here, f));

/** Reads and validates a framework file, throwing with every problem listed if it is not valid. */
export async function loadFramework(file: string): Promise<Framework> {
  const result = checkFramework(await readFile(file, 'utf8'));
  if (!result.ok) throw new Error(`${file} is not a valid framework:\n${formatProblems(file, result.problems)}`);
  return result.framework;
}
