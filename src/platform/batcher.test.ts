import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createBatcher } from './batcher.ts';

/** A `run` whose calls the test ends by hand, recording what each call carried. */
function gate() {
  const calls: { key: string; items: number[]; finish: () => void; fail: (e: Error) => void }[] = [];
  const run = (key: string, items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({ key, items, finish: () => resolve(items.map((i) => `${key}:${i}`)), fail: reject });
    });
  return { calls, run };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('batcher (issue 4: reports that arrive together are stored together)', () => {
  test('a lone item is sent at once, not held back for company', async () => {
    const g = gate();
    const b = createBatcher(g.run);
    const answer = b.submit('2026', 1);
    assert.equal(g.calls.length, 1);
    assert.deepEqual(g.calls[0]?.items, [1]);
    g.calls[0]?.finish();
    assert.equal(await answer, '2026:1');
  });

  test('items arriving while a call runs go together in the next call, each answered with its own result', async () => {
    const g = gate();
    const b = createBatcher(g.run);
    const answers = [1, 2, 3, 4].map((i) => b.submit('2026', i));
    assert.equal(g.calls.length, 1, 'only one call per key runs at a time');
    g.calls[0]?.finish();
    await tick();
    assert.equal(g.calls.length, 2);
    assert.deepEqual(g.calls[1]?.items, [2, 3, 4]);
    g.calls[1]?.finish();
    assert.deepEqual(await Promise.all(answers), ['2026:1', '2026:2', '2026:3', '2026:4']);
  });

  test('a call carries at most `max` items; the rest follow in order', async () => {
    const g = gate();
    const b = createBatcher(g.run, { max: 2 });
    const answers = [1, 2, 3, 4, 5, 6].map((i) => b.submit('k', i));
    for (let n = 0; n < 4; n++) {
      g.calls[n]?.finish();
      await tick();
    }
    assert.deepEqual(
      g.calls.map((c) => c.items),
      [[1], [2, 3], [4, 5], [6]],
    );
    assert.equal((await Promise.all(answers)).length, 6);
  });

  test('different keys do not wait for one another', async () => {
    const g = gate();
    const b = createBatcher(g.run);
    const x = b.submit('2026', 1);
    const y = b.submit('2027', 2);
    assert.deepEqual(
      g.calls.map((c) => [c.key, c.items]),
      [
        ['2026', [1]],
        ['2027', [2]],
      ],
    );
    g.calls[1]?.finish();
    assert.equal(await y, '2027:2');
    g.calls[0]?.finish();
    assert.equal(await x, '2026:1');
  });

  test('the next call goes out before the finished call is answered, so the database does not wait on responses', async () => {
    const g = gate();
    const b = createBatcher(g.run);
    let answered = false;
    const first = b.submit('k', 1).then((v) => {
      answered = true;
      return v;
    });
    const second = b.submit('k', 2);
    g.calls[0]?.finish();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.deepEqual(g.calls[1]?.items, [2], 'the queued item is sent as soon as the first call returns');
    assert.equal(answered, false, 'the first call is answered only after the next one has been sent');
    assert.equal(await first, 'k:1');
    g.calls[1]?.finish();
    assert.equal(await second, 'k:2');
  });

  test('when a call of several fails, each item is tried alone, so only the bad one fails', async () => {
    const tried: number[][] = [];
    const b = createBatcher(async (_key: string, items: number[]) => {
      tried.push(items);
      if (items.includes(3)) throw new Error('item 3 is refused');
      return items.map((i) => i * 10);
    });
    const first = b.submit('k', 1); // goes alone; the next four queue behind it
    const rest = [2, 3, 4, 5].map((i) =>
      b.submit('k', i).then(
        (v) => ({ ok: v }),
        (e: Error) => ({ error: e.message }),
      ),
    );
    assert.equal(await first, 10);
    assert.deepEqual(await Promise.all(rest), [{ ok: 20 }, { error: 'item 3 is refused' }, { ok: 40 }, { ok: 50 }]);
    assert.deepEqual(tried, [[1], [2, 3, 4, 5], [2], [3], [4], [5]]);
    // and the key is free again afterwards
    assert.equal(await b.submit('k', 6), 60);
  });

  test('a call that answers the wrong number of results fails its items rather than mismatching them', async () => {
    const b = createBatcher(async (_key: string, items: number[]) => items.slice(1));
    await assert.rejects(b.submit('k', 1), /a batch of 1 answered 0 results/);
  });
});
