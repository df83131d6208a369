import { describe, expect, test } from 'vitest';
import { auditAction, auditChange } from './audit';

const A = 'GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7';
const B = 'GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H';

describe('audit trail', () => {
  test('names each mutation as a person reads it', () => {
    expect(auditAction('claimContract')).toBe('Claimed');
    expect(auditAction('releaseContract')).toBe('Released');
    expect(auditAction('setContractTags')).toBe('Set tags');
    expect(auditAction('somethingNew')).toBe('somethingNew');
  });

  test('says what a claim, a release and a tag change did', () => {
    expect(auditChange('claimContract', { publisher: null }, { publisher: A, basis: 'deployer' })).toBe(
      'publisher: nobody → GAAZ…CWN7 (as its deployer)',
    );
    expect(
      auditChange('claimContract', { publisher: null }, { publisher: B, basis: 'home_domain', homeDomain: 'acme.org' }),
    ).toBe('publisher: nobody → GBRP…OX2H (listed by the stellar.toml of acme.org)');
    expect(auditChange('releaseContract', { publisher: A }, { publisher: null })).toBe('publisher: GAAZ…CWN7 → nobody');
    expect(auditChange('setContractTags', { tags: [] }, { tags: ['defi', 'dex'] })).toBe('tags: none → defi, dex');
    expect(auditChange('releaseContract', { publisher: A, tags: ['defi'] }, { publisher: null, tags: [] })).toBe(
      'publisher: GAAZ…CWN7 → nobody; tags: defi → none',
    );
  });

  test('a profile change lists the fields that changed, quoted', () => {
    expect(
      auditChange(
        'updatePublisher',
        { displayName: null, website: 'https://a.org/', github: 'acme' },
        { displayName: 'Acme', website: 'https://a.org/', github: null },
      ),
    ).toBe('name: — → “Acme”; GitHub: “acme” → —');
    expect(auditChange('updatePublisher', { github: 'x' }, { github: 'x' })).toBe('no change');
  });

  test('anything unknown or malformed is shown as its JSON, never thrown on', () => {
    expect(auditChange('somethingNew', { a: 1 }, null)).toBe('{"a":1} → —');
    expect(auditChange('setContractTags', 'garbage', [1, 2])).toBe('tags: none → none');
    expect(auditChange('claimContract', null, { publisher: 7 })).toBe('publisher: nobody → nobody');
  });
});
