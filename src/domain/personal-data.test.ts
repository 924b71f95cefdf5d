import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PERSONAL_FIELD_LABELS, PERSONAL_FIELDS, personalFieldsFor, redactIncident } from './personal-data.ts';

const communityVisit = () => ({
  location: {
    kind: 'community' as const,
    siteId: null,
    siteName: null,
    departmentId: null,
    departmentName: null,
    detail: 'Back bedroom, beside the bed of Mr Smith',
    communityAddress: '12 Mill Lane, Testville',
  },
  injured: true,
  injuryDescription: 'Fractured wrist',
  narrative: 'text',
});

describe('personal data (issue 4 §14)', () => {
  test('issue 4 §14: the address, the detail of the place and the injuries are personal fields, each with a label', () => {
    for (const f of ['place', 'injuries'] as const) {
      assert.ok(PERSONAL_FIELDS.includes(f), f);
      assert.ok(PERSONAL_FIELD_LABELS[f], f);
    }
    // so a role that sees them has its read audited (callers audit whenever the set is not empty)
    assert.ok(personalFieldsFor({ roles: ['security_specialist'] }).has('place'));
    assert.ok(personalFieldsFor({ roles: ['security_specialist'] }).has('injuries'));
    assert.ok(personalFieldsFor({ roles: ['manager'], isAssignedManager: true }).has('injuries'));
    assert.equal(personalFieldsFor({ roles: ['smd'] }).size, 0);
  });

  test('issue 4 §14: without personal access the community address, place detail and injury description are hidden, the facts stay', () => {
    const out = redactIncident(communityVisit(), personalFieldsFor({ roles: ['smd'] }));
    assert.deepEqual(out, {
      location: { kind: 'community', siteId: null, siteName: null, departmentId: null, departmentName: null, detail: null, communityAddress: null },
      injured: true,
      injuryDescription: null,
      narrative: null,
    });
  });

  test('issue 4 §14: a site incident keeps its site and department for the SMD, without the free-text detail', () => {
    const site = {
      location: { kind: 'site' as const, siteName: 'General Hospital', departmentName: 'Ward 7', detail: 'Bay 2, bed 4', communityAddress: null },
    };
    assert.deepEqual(redactIncident(site, new Set()).location, {
      kind: 'site',
      siteName: 'General Hospital',
      departmentName: 'Ward 7',
      detail: null,
      communityAddress: null,
    });
  });

  test('issue 4 §14: the security specialist sees the address, the detail and the injuries', () => {
    const input = communityVisit();
    assert.deepEqual(redactIncident(input, personalFieldsFor({ roles: ['security_specialist'] })), input);
  });

  test('the redaction returns a copy and leaves the incident it was given unchanged', () => {
    const input = communityVisit();
    redactIncident(input, new Set());
    assert.deepEqual(input, communityVisit());
  });
});
