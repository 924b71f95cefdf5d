import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { repeat } from './repeat.ts';

test('runs never overlap, a failed run is reported and the next one still comes', async () => {
  let active = 0;
  let most = 0;
  let runs = 0;
  const errors: unknown[] = [];
  const stop = repeat(
    async () => {
      runs++;
      active++;
      most = Math.max(most, active);
      await sleep(15); // longer than the interval: a timer that ignored the run under way would overlap
      active--;
      if (runs === 2) throw new Error('second run fails');
    },
    { intervalMs: 1, firstAfterMs: 0, onError: (err) => errors.push(err) },
  );
  while (runs < 4) await sleep(5);
  await stop();
  assert.equal(most, 1, 'one run at a time');
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /second run fails/);
});

test('stopping waits for the run under way and starts no other', async () => {
  let finished = 0;
  let started = 0;
  const stop = repeat(
    async () => {
      started++;
      await sleep(30);
      finished++;
    },
    { intervalMs: 1, firstAfterMs: 0 },
  );
  while (started === 0) await sleep(1);
  await stop();
  assert.equal(finished, 1, 'the run under way was waited for');
  await sleep(20);
  assert.equal(started, 1, 'nothing ran after stopping');
});
