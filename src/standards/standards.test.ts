import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../cli.ts';
import { BUNDLED_FRAMEWORKS, checkFramework, loadFramework } from './load.ts';
import { parseLocated } from './locate.ts';
import { amberApplies, type Framework } from './schema.ts';

const here = dirname(fileURLToPath(import.meta.url));
const FILE = join(here, 'nhs-protect-commissioners-2017-18.json');
// The published document (`002`, NHS Protect, Standards for commissioners 2017-18), kept in the repository as text
// so that this comparison runs on any clone.
const SOURCE = readFileSync(join(here, 'sources', '002_28b2ad23548d5a35.txt'), 'utf8');

/**
 * The seed text with its page furniture removed ("(continues on next page)", running footer, "Back to top", page
 * number and the ">>" that opens the next page), bullets dropped and whitespace collapsed, so that a passage that
 * crosses a page break in the PDF reads as one.
 */
const seed = SOURCE.replace(/\(continues on next page\)\n(?:Standards for commissioners 2017-18: Security management\n\nBack\nto top\n\n\d+\n\n)?\s*>> /g, '')
  .replace(/[•○]/g, ' ')
  .replace(/\s+/g, ' ');
const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
const inSeed = (s: string) => seed.includes(norm(s));

const work = await mkdtemp(join(tmpdir(), 'warden-standards-'));
after(() => rm(work, { recursive: true, force: true }));
const framework: Framework = await loadFramework(FILE);

async function warden(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env: {} });
  return { code, out, err };
}

describe("commissioners' standards 2017-18 (002 ch. 4)", () => {
  test('has the four key areas and the fourteen standards 1.1–1.7, 2.1–2.2, 3.1–3.3, 4.1–4.2', () => {
    assert.deepEqual(
      framework.keyAreas.map((a) => a.name),
      ['Strategic Governance', 'Inform and Involve', 'Prevent and Deter', 'Hold to Account'],
    );
    assert.deepEqual(
      framework.standards.map((s) => s.number),
      ['1.1', '1.2', '1.3', '1.4', '1.5', '1.6', '1.7', '2.1', '2.2', '3.1', '3.2', '3.3', '4.1', '4.2'],
    );
    const byArea = Object.fromEntries(framework.keyAreas.map((a) => [a.id, framework.standards.filter((s) => s.keyArea === a.id).length]));
    assert.deepEqual(byArea, { 'strategic-governance': 7, 'inform-and-involve': 2, 'prevent-and-deter': 3, 'hold-to-account': 2 });
    // Every standard printed in chapter 4 is in the file, and no other.
    const printed = [...SOURCE.matchAll(/^Standard (\d\.\d)$/gm)].map((m) => m[1]);
    assert.deepEqual(
      printed,
      framework.standards.map((s) => s.number),
    );
  });

  test('every headline, rationale paragraph, criterion and evidence item is the published text, word for word', () => {
    let checked = 0;
    for (const s of framework.standards) {
      const texts = [
        s.headline,
        ...s.rationale,
        ...s.criteria.red,
        ...(Array.isArray(s.criteria.amber) ? s.criteria.amber : [s.criteria.amber.text]),
        ...s.criteria.green,
        ...s.evidence.flatMap((e) => (typeof e === 'string' ? [e] : [e.text, ...e.items])),
      ];
      for (const t of texts) {
        assert.ok(inSeed(t), `standard ${s.number}: not found in 002: "${t}"`);
        checked++;
      }
    }
    assert.ok(checked > 350, `only ${checked} passages checked`);
    for (const d of Object.values(framework.ratingDefinitions)) assert.ok(inSeed(d), d);
  });

  test('spot checks: whole criteria lists match the printed ones', () => {
    const std = (n: string) => framework.standards.find((s) => s.number === n)!;
    assert.equal(
      std('4.1').headline,
      'The organisation has arrangements in place to ensure that security related incidents are investigated in a timely and proportionate manner and these arrangements are monitored, reviewed and evaluated.',
    );
    assert.deepEqual(std('4.1').criteria.red, [
      'There is little or no evidence the organisation has arrangements in place to ensure that security related incidents are investigated in a timely and proportionate manner.',
      'Investigations may be carried out, but they are not conducted in line with relevant legislation and NHS Protect guidance.',
    ]);
    assert.equal(std('3.2').criteria.green.length, 5);
    assert.equal(std('4.2').evidence.length, 25);
    assert.equal(std('4.2').evidence.at(-1), 'Civil redress, fines and voluntary recoveries');
    assert.deepEqual(std('1.1').evidence.at(-1), {
      text: 'Documents covering:',
      items: [
        'Roles and responsibilities, including those of the executive board member (or equivalent) responsible for security management work, the nominated security specialist (LSMS), associated functions (risk management, health and safety) and all staff',
        'The organisation’s risk management strategy',
      ],
    });
    // The passage that crosses a page break in the PDF (1.1, red) is one criterion.
    assert.ok(std('1.1').criteria.red.some((c) => c.startsWith('The nominated member') && c.endsWith('not based on NHS Protect’s national strategy.')));
  });

  test('amber is "not applicable to this standard" exactly where 002 says so (1.1, 1.3, 1.5)', () => {
    assert.deepEqual(
      framework.standards.filter((s) => !amberApplies(s)).map((s) => s.number),
      ['1.1', '1.3', '1.5'],
    );
    const printed = [...SOURCE.matchAll(/Organisation partially meets the standard\nNot applicable to this standard\./g)].length;
    assert.equal(printed, 3);
  });

  test('the provider-monitoring standards are marked, and no weights are invented', () => {
    assert.deepEqual(
      framework.standards.filter((s) => s.monitoringProviders).map((s) => s.number),
      ['1.6', '1.7'],
    );
    assert.ok(framework.standards.every((s) => s.weight === 1));
  });

  test('every bundled framework file is valid', async () => {
    assert.equal(BUNDLED_FRAMEWORKS.length, 2);
    for (const f of BUNDLED_FRAMEWORKS) await loadFramework(f);
  });
});

describe('a second framework in the same format: the violence prevention and reduction standard’s domains', () => {
  const VPR = join(here, 'nhs-england-vpr-v2-2024-domains.json');

  test('holds the seven published domains, in order, as key areas of one standard each, numbered 1 to 7', async () => {
    const vpr = await loadFramework(VPR);
    assert.notEqual(vpr.id, framework.id);
    assert.deepEqual(
      vpr.keyAreas.map((a) => a.name),
      ['Leadership and accountability', 'Governance and assurance', 'Collaboration', 'Data', 'Workforce', 'Interventions', 'Evaluation'],
    );
    assert.deepEqual(
      vpr.standards.map((s) => [s.number, s.keyArea, s.headline]),
      vpr.keyAreas.map((a, i) => [String(i + 1), a.id, a.name]),
    );
    assert.ok(vpr.standards.every((s) => amberApplies(s) && !s.monitoringProviders && s.weight === 1));
  });

  test('says plainly that its criteria are Warden’s, not the published indicators, so none is passed off as official', async () => {
    const vpr = await loadFramework(VPR);
    assert.match(vpr.notes?.[0] ?? '', /could not be obtained.*NOT reproduced/s);
    for (const s of vpr.standards) {
      const criteria = [...s.criteria.red, ...(Array.isArray(s.criteria.amber) ? s.criteria.amber : []), ...s.criteria.green];
      for (const c of criteria) assert.match(c, /^Warden's working criterion, not NHS England's published text: /, `standard ${s.number}`);
      assert.match(s.notes?.join(' ') ?? '', /Warden's working text/);
    }
    for (const d of Object.values(vpr.ratingDefinitions)) assert.match(d, /Warden's working definition/);
  });

  test('warden standards validate accepts it', async () => {
    const result = await warden('standards', 'validate', VPR);
    assert.equal(result.code, 0, result.err);
    assert.match(result.out, /^valid: 7 standards \(NHS violence prevention and reduction standard: the seven domains, version v2-2024-domains\)/);
  });
});

describe('framework file validation', () => {
  const original = readFileSync(FILE, 'utf8');
  const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

  test('reports schema problems at the line of the offending value', () => {
    const bad = original.replace('"weight": 1,', '"weight": 0,').replace('"number": "2.2",', '"number": "2.2", "colour": "red",');
    const result = checkFramework(bad);
    assert.equal(result.ok, false);
    if (result.ok) return;
    const weight = result.problems.find((p) => p.path === 'standards[0].weight')!;
    assert.equal(weight.line, lineOf(bad, '"weight": 0'));
    const colour = result.problems.find((p) => p.path === 'standards[8].colour')!;
    assert.equal(colour.line, lineOf(bad, '"colour"'));
    assert.match(colour.message, /colour/);
  });

  test('reports cross-references: unknown key area, duplicate number, missing property', () => {
    const bad = original.replace('"keyArea": "hold-to-account"', '"keyArea": "hold-2-account"').replace('"number": "3.3"', '"number": "3.2"');
    const result = checkFramework(bad);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => [p.path, p.line]),
      [
        ['standards[11].number', bad.slice(0, bad.lastIndexOf('"number": "3.2"')).split('\n').length],
        ['standards[12].keyArea', lineOf(bad, '"hold-2-account"')],
      ],
    );
    const missing = checkFramework(original.replace('"headline": "The organisation allocates', '"headlines": "The organisation allocates'));
    assert.ok(!missing.ok && missing.problems.some((p) => p.path === 'standards[3].headline' && /missing/.test(p.message)));
  });

  test('reports JSON syntax errors with line and column', () => {
    const result = checkFramework('{\n  "id": "x",\n  "name": [1,,2]\n}');
    assert.deepEqual(result.ok ? null : result.problems[0], { line: 3, column: 14, path: '', message: 'not valid JSON: unexpected ","' });
    assert.throws(() => parseLocated('{"a": 1, "a": 2}'), /duplicate property "a"/);
    assert.deepEqual(parseLocated('[1, {"b": [true, null, "s\\n"]}]').value, [1, { b: [true, null, 's\n'] }]);
  });

  test('warden standards validate FILE: "valid: N standards" and 0, or line-precise errors and 1', async () => {
    const good = await warden('standards', 'validate', FILE);
    assert.equal(good.code, 0);
    assert.match(good.out, /^valid: 14 standards/);
    const file = join(work, 'bad.json');
    const bad = original.replace('"version": "2017-18"', '"version": ""');
    await writeFile(file, bad);
    const result = await warden('standards', 'validate', file);
    assert.equal(result.code, 1);
    assert.equal(result.err.trim(), `${file}:${lineOf(bad, '"version"')}:3 version: must be letters, digits, dots and hyphens, e.g. "2017-18"`);
    assert.equal((await warden('standards', 'check', file)).code, 2);
  });
});
