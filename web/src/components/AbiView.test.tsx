import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import type { AbiViewFragment } from '../gql/graphql';
import { AbiSection } from './AbiView';

afterEach(cleanup);

const hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';

const abi: AbiViewFragment = {
  builtin: false,
  functions: [
    {
      name: 'transfer',
      doc: hostile,
      inputs: [
        { name: 'from', doc: 'who pays', type: { display: 'Address' } },
        { name: 'keys', doc: '', type: { display: 'Vec<DataKey>' } },
      ],
      outputs: [{ display: 'Result<(), Error>' }],
    },
  ],
  structs: [
    {
      name: 'DataKey',
      doc: 'storage key',
      lib: '',
      fields: [{ name: 'owner', doc: hostile, type: { display: 'Address' } }],
    },
  ],
  unions: [],
  enums: [],
  errorEnums: [
    {
      name: 'Error',
      doc: '',
      lib: '',
      cases: [
        { name: 'NotAllowed', doc: 'caller may not', value: 1 },
        { name: 'Overflow', doc: '', value: 7 },
      ],
    },
  ],
  events: [
    {
      name: 'Transfer',
      doc: '',
      lib: '',
      prefixTopics: ['transfer'],
      dataFormat: 'SINGLE_VALUE',
      params: [
        { name: 'from', doc: '', location: 'TOPIC_LIST', type: { display: 'Address' } },
        { name: 'amount', doc: '', location: 'DATA', type: { display: 'i128' } },
      ],
    },
  ],
};

describe('AbiSection', () => {
  test('functions read as Rust signatures, with user types linked to their definitions', () => {
    const { container } = render(<AbiSection abi={abi} />);
    const sig = container.querySelector('.signature');
    expect(sig?.textContent).toBe('fn transfer(from: Address, keys: Vec<DataKey>) -> Result<(), Error>');
    const links = [...container.querySelectorAll('.signature a')].map((a) => [a.textContent, a.getAttribute('href')]);
    expect(links).toEqual([
      ['DataKey', '#type-DataKey'],
      ['Error', '#type-Error'],
    ]);
    expect(container.querySelector('#type-DataKey h4')?.textContent).toContain('struct DataKey');
    expect(container.querySelector('#type-Error h4')?.textContent).toContain('error Error');
  });

  test('error codes and events are listed', () => {
    render(<AbiSection abi={abi} />);
    const codes = screen.getAllByRole('row').map((r) => r.textContent);
    expect(codes).toContain('1NotAllowedcaller may not');
    expect(codes).toContain('7Overflow');
    expect(screen.getByText(/data as one value/)).toBeTruthy();
  });

  test('docs from the contract are text, never markup', () => {
    const { container } = render(<AbiSection abi={abi} />);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('.function .doc')?.textContent).toBe(hostile);
  });

  test('a built-in interface says so', () => {
    render(<AbiSection abi={{ ...abi, builtin: true }} />);
    expect(screen.getByText(/built-in interface of a Stellar Asset Contract/)).toBeTruthy();
  });
});
