import { describe, expect, test } from 'vitest';
import { listStateToParams, pageArgs, parseListState, toFilter, withFilters } from './filters';

const parse = (q: string) => parseListState(new URLSearchParams(q));

describe('contract list state in the URL', () => {
  test('a full URL round-trips', () => {
    const q = 'network=testnet&q=swap&tag=token&kind=WASM&verification=VERIFIED&fn=transfer&order=NAME&after=abc';
    const state = parse(q);
    expect(state).toEqual({
      network: 'TESTNET',
      q: 'swap',
      tag: 'token',
      kind: 'WASM',
      verification: 'VERIFIED',
      fn: 'transfer',
      order: 'NAME',
      after: 'abc',
      before: null,
    });
    expect(listStateToParams(state).toString()).toBe(q);
  });

  test('defaults are left out of the URL', () => {
    expect(listStateToParams(parse('')).toString()).toBe('');
    expect(listStateToParams(parse('order=NEWEST')).toString()).toBe('');
    expect(listStateToParams(parse('q=oracle&order=RELEVANCE')).toString()).toBe('q=oracle');
  });

  test('unknown values are ignored, not sent to the API', () => {
    const state = parse('network=moonnet&kind=EVM&verification=maybe&order=RANDOM');
    expect(state.network).toBeNull();
    expect(state.kind).toBeNull();
    expect(state.verification).toBeNull();
    expect(state.order).toBe('NEWEST');
    expect(toFilter(state)).toEqual({});
  });

  test('relevance needs search words', () => {
    expect(parse('order=RELEVANCE').order).toBe('NEWEST');
    expect(parse('q=pool').order).toBe('RELEVANCE');
    expect(parse('q=pool&order=OLDEST').order).toBe('OLDEST');
  });

  test('a filter change starts again from the first page', () => {
    const state = parse('network=mainnet&after=xyz');
    const next = withFilters(state, { tag: 'dex' });
    expect(next.after).toBeNull();
    expect(listStateToParams(next).toString()).toBe('network=mainnet&tag=dex');
  });

  test('page arguments follow the cursor direction', () => {
    expect(pageArgs(parse(''), 20)).toEqual({ first: 20, after: null });
    expect(pageArgs(parse('after=a'), 20)).toEqual({ first: 20, after: 'a' });
    expect(pageArgs(parse('before=b'), 20)).toEqual({ last: 20, before: 'b' });
    // Both given: `after` wins, as the pager never writes both.
    expect(pageArgs(parse('after=a&before=b'), 20)).toEqual({ first: 20, after: 'a' });
  });

  test('the API filter carries every condition', () => {
    expect(toFilter(parse('network=futurenet&q=%20vault%20&tag=nft&kind=STELLAR_ASSET&fn=mint'))).toEqual({
      network: 'FUTURENET',
      search: 'vault',
      tag: 'nft',
      kind: 'STELLAR_ASSET',
      implementsFunction: 'mint',
    });
  });
});
