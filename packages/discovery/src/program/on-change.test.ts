import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { ChangeDebouncer } from './on-change.js';

/** Lets the debouncer's promise chain run after a timer fired. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('ChangeDebouncer', () => {
  it('a burst fires once, with the set after its last change', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const fired: string[][] = [];
      const d = new ChangeDebouncer(1000, async (s) => void fired.push(s));
      d.changed(['a']);
      mock.timers.tick(500);
      d.changed(['a', 'b']);
      mock.timers.tick(999);
      await settle();
      assert.deepEqual(fired, [], 'not before the burst has been quiet for the debounce time');
      mock.timers.tick(1);
      await settle();
      assert.deepEqual(fired, [['a', 'b']]);
    } finally {
      mock.timers.reset();
    }
  });

  it('one run at a time; a change during a run fires once more after it, with the newest set', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const fired: string[][] = [];
      let release: () => void = () => undefined;
      let running = 0;
      let most = 0;
      const d = new ChangeDebouncer(100, async (s) => {
        fired.push(s);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => (release = r));
        running--;
      });
      d.changed(['a']);
      mock.timers.tick(100);
      await settle();
      assert.deepEqual(fired, [['a']]);
      d.changed(['b']);
      mock.timers.tick(100);
      d.changed(['c']);
      mock.timers.tick(100);
      await settle();
      assert.deepEqual(fired, [['a']], 'nothing starts while a run is going');
      release();
      await settle();
      assert.deepEqual(fired, [['a'], ['c']], 'after the run: once, with the newest set');
      release();
      await settle();
      assert.equal(most, 1);
      assert.equal(fired.length, 2);
    } finally {
      mock.timers.reset();
    }
  });

  it('stop drops what is pending', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const fired: string[][] = [];
      const d = new ChangeDebouncer(100, async (s) => void fired.push(s));
      d.changed(['a']);
      d.stop();
      mock.timers.tick(1000);
      await settle();
      assert.deepEqual(fired, []);
    } finally {
      mock.timers.reset();
    }
  });
});
