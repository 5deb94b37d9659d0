import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedStatement } from '../../../native/store/statements.js';

describe('cachedStatement', () => {
  const a = new Database(':memory:');
  const b = new Database(':memory:');
  afterAll(() => {
    a.close();
    b.close();
  });

  it('prepares each SQL text once per connection', () => {
    const first = cachedStatement(a, 'SELECT 1 AS one');
    expect(cachedStatement(a, 'SELECT 1 AS one')).toBe(first);
    expect(cachedStatement(b, 'SELECT 1 AS one')).not.toBe(first);
    expect(cachedStatement(a, 'SELECT 2 AS one')).not.toBe(first);
    expect(first.get()).toEqual({ one: 1 });
  });

  it("does not pass one caller's pluck mode on to the next", () => {
    expect(cachedStatement(a, 'SELECT 5 AS five').pluck().get()).toBe(5);
    expect(cachedStatement(a, 'SELECT 5 AS five').get()).toEqual({ five: 5 });
  });

  it('stays bounded: after 256 more texts it starts over and prepares again', () => {
    const first = cachedStatement(a, 'SELECT 3 AS three');
    for (let i = 0; i < 256; i++) cachedStatement(a, `SELECT ${i + 10} AS n`);
    const again = cachedStatement(a, 'SELECT 3 AS three');
    expect(again).not.toBe(first);
    expect(again.get()).toEqual({ three: 3 });
  });
});
