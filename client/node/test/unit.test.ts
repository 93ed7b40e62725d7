// Unit tests that need no server: routing metadata, backoff, error mapping, option
// validation, and ClickRecorder's batching with a fake sink. Run: npm test.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ClickRecorder, Event, HrnnClient, HrnnError, PutEventsResponse, retryBackoffMs,
  userIdMetadataValue,
} from '../src';

describe('routing metadata (as client/routing_metadata.cc)', () => {
  test('printable ASCII is kept', () => {
    assert.equal(userIdMetadataValue('u7'), 'u7');
    assert.equal(userIdMetadataValue('a b~!'), 'a b~!');
  });
  test('% and other bytes are escaped as UTF-8 %XX', () => {
    assert.equal(userIdMetadataValue('a%b'), 'a%25b');
    assert.equal(userIdMetadataValue('\n\x7f'), '%0A%7F');
    assert.equal(userIdMetadataValue('é'), '%C3%A9');
    assert.equal(userIdMetadataValue('ü 100%'), '%C3%BC 100%25');
  });
});

describe('retry backoff', () => {
  test('exponential, capped at maxMs, jittered to 50..100%', () => {
    for (const [retry, base] of [[1, 50], [2, 100], [3, 200], [10, 1000], [100, 1000]]) {
      assert.equal(retryBackoffMs(retry, 50, 1000, () => 0), base / 2);
      assert.ok(retryBackoffMs(retry, 50, 1000, () => 0.999999) <= base);
      for (let i = 0; i < 50; i += 1) {
        const ms = retryBackoffMs(retry, 50, 1000);
        assert.ok(ms >= base / 2 && ms <= base, `${retry}: ${ms}`);
      }
    }
  });
});

describe('HrnnError', () => {
  test('maps a grpc-js ServiceError: name, number, details, attempts', () => {
    const raw = Object.assign(new Error('3 INVALID_ARGUMENT: num_results: 9999 is outside 1..500'),
                              { code: 3, details: 'num_results: 9999 is outside 1..500' });
    const error = HrnnError.from(raw, 2);
    assert.ok(error instanceof HrnnError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'HrnnError');
    assert.equal(error.code, 'INVALID_ARGUMENT');
    assert.equal(error.grpcCode, 3);
    assert.equal(error.details, 'num_results: 9999 is outside 1..500');
    assert.equal(error.message, 'INVALID_ARGUMENT: num_results: 9999 is outside 1..500');
    assert.equal(error.attempts, 2);
    assert.equal(error.cause, raw);
  });
  test('every code has its name; unknown numbers and non-grpc errors are UNKNOWN', () => {
    assert.equal(new HrnnError(14, 'x').code, 'UNAVAILABLE');
    assert.equal(new HrnnError('UNAUTHENTICATED', 'x').grpcCode, 16);
    assert.equal(new HrnnError(99, 'x').code, 'UNKNOWN');
    const fromPlain = HrnnError.from(new TypeError('boom'));
    assert.equal(fromPlain.code, 'UNKNOWN');
    assert.equal(fromPlain.details, 'boom');
    assert.equal(HrnnError.from('a string').details, 'a string');
    const same = new HrnnError('NOT_FOUND', 'gone');
    assert.equal(HrnnError.from(same), same);
  });
});

describe('HrnnClient options', () => {
  test('bad options throw, naming the option', () => {
    const cases: Array<[unknown, unknown, RegExp]> = [
      ['', {}, /target:/],
      ['127.0.0.1:1', { deadlineMs: 0 }, /deadlineMs[:,]/],
      ['127.0.0.1:1', { deadlineMs: Number.NaN }, /deadlineMs[:,]/],
      ['127.0.0.1:1', { streamDeadlineMs: -1 }, /streamDeadlineMs[:,]/],
      ['127.0.0.1:1', { maxAttempts: 0 }, /maxAttempts[:,]/],
      ['127.0.0.1:1', { maxAttempts: 11 }, /maxAttempts[:,]/],
      ['127.0.0.1:1', { maxAttempts: 1.5 }, /maxAttempts[:,]/],
      ['127.0.0.1:1', { initialBackoffMs: 2000, maxBackoffMs: 1000 }, /initialBackoffMs[:,]/],
      ['127.0.0.1:1', { token: 'a b' }, /token[:,]/],
      ['127.0.0.1:1', { token: '' }, /token[:,]/],
      ['127.0.0.1:1', { privateKey: Buffer.from('k') }, /privateKey[:,]/],
    ];
    for (const [target, options, message] of cases) {
      assert.throws(() => new HrnnClient(target as string, options as object), message,
                    JSON.stringify(options));
    }
  });
  test('good options construct (lazily: nothing connects)', () => {
    const client = new HrnnClient('127.0.0.1:1', {
      token: 't0k', deadlineMs: 100, streamDeadlineMs: null, maxAttempts: 10,
      initialBackoffMs: 1, maxBackoffMs: 1 });
    client.close();
  });
  test('bad requests reject with HrnnError INVALID_ARGUMENT before any call', async () => {
    const client = new HrnnClient('127.0.0.1:1');
    try {
      await assert.rejects(client.putEvents('u1' as unknown as Event[]),
                           (e: HrnnError) => e.code === 'INVALID_ARGUMENT' && e.attempts === 0);
      await assert.rejects(client.putEvents([{ userId: 'u1' } as Event]),
                           (e: HrnnError) => e.code === 'INVALID_ARGUMENT' &&
                             /events\[0\]/.test(e.details));
      await assert.rejects(
        client.getRecommendations({ userId: 'u', filter: { values: { A: 5 as unknown as string } } }),
        (e: HrnnError) => e.code === 'INVALID_ARGUMENT' && /filter\.values\.A/.test(e.details));
      await assert.rejects(client.getModelInfo({ deadlineMs: -5 }),
                           (e: HrnnError) => e.code === 'INVALID_ARGUMENT' && /deadlineMs/.test(e.details));
    } finally {
      client.close();
    }
  });
});

/** A fake PutEvents: records each call's events; rejects events with an empty itemId; fails
 * calls whose first event's userId is "down". */
class FakeSink {
  calls: Event[][] = [];
  async putEvents(events: Event[]): Promise<PutEventsResponse> {
    this.calls.push(events);
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (events[0].userId === 'down') throw new HrnnError('UNAVAILABLE', 'no server', { attempts: 3 });
    const rejected = events.flatMap((e, index) =>
      e.itemId === '' ? [{ index, reason: 'item_id: must not be empty' }] : []);
    return { accepted: events.length - rejected.length, rejected };
  }
}

describe('ClickRecorder', () => {
  test('sends every maxBatch events, one call per user, in order', async () => {
    const sink = new FakeSink();
    const recorder = new ClickRecorder(sink, { maxBatch: 4, flushIntervalMs: 60_000 });
    for (const item of ['a', 'b', 'c']) recorder.recordClick('u1', item, { sessionId: 's1' });
    assert.equal(sink.calls.length, 0);  // Not full yet.
    recorder.recordClick('u2', 'x', { recommendationId: 'r1', eventValue: 2.5 });
    assert.equal(recorder.pending, 4);
    const result = await recorder.flush();
    assert.deepEqual(result, { accepted: 4, rejected: [], failed: 0 });
    assert.equal(sink.calls.length, 2);
    const byUser = new Map(sink.calls.map((call) => [call[0].userId, call]));
    assert.deepEqual(byUser.get('u1')!.map((e) => e.itemId), ['a', 'b', 'c']);
    assert.ok(sink.calls.every((call) => new Set(call.map((e) => e.userId)).size === 1));
    const x = byUser.get('u2')![0];
    assert.equal(x.eventType, 'click');
    assert.equal(x.recommendationId, 'r1');
    assert.equal(x.eventValue, 2.5);
    assert.ok(Math.abs(x.timestampMs! - Date.now()) < 5000);
    assert.equal(recorder.pending, 0);
  });

  test('sends after flushIntervalMs without flush()', async () => {
    const sink = new FakeSink();
    const recorder = new ClickRecorder(sink, { maxBatch: 100, flushIntervalMs: 20 });
    recorder.recordClick('u1', 'a');
    recorder.recordClick('u1', 'b', { eventType: 'purchase' });
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.equal(sink.calls.length, 1);
    assert.deepEqual(sink.calls[0].map((e) => e.eventType), ['click', 'purchase']);
    assert.deepEqual(await recorder.close(), { accepted: 2, rejected: [], failed: 0 });
  });

  test('a big buffer of one user goes in ordered chunks of maxBatch', async () => {
    const sink = new FakeSink();
    const recorder = new ClickRecorder(sink, { maxBatch: 3, flushIntervalMs: 60_000,
                                               maxConcurrentCalls: 4 });
    for (let i = 0; i < 10; i += 1) recorder.recordClick('u1', `i${i}`);
    const result = await recorder.flush();
    assert.equal(result.accepted, 10);
    assert.deepEqual(sink.calls.flat().map((e) => e.itemId), Array.from({ length: 10 }, (_, i) => `i${i}`));
    assert.ok(sink.calls.every((call) => call.length <= 3));
  });

  test('rejected events are reported with their reason; failed calls go to onError', async () => {
    const sink = new FakeSink();
    const errors: Array<[HrnnError, Event[]]> = [];
    const rejectedSeen: string[] = [];
    const recorder = new ClickRecorder(sink, {
      maxBatch: 50, flushIntervalMs: 60_000,
      onError: (error, events) => errors.push([error, events]),
      onRejected: (event, reason) => rejectedSeen.push(`${event.userId}:${reason}`),
    });
    recorder.recordClick('u1', 'a');
    recorder.recordClick('u1', '');
    recorder.recordClick('down', 'b');
    recorder.recordClick('down', 'c');
    const result = await recorder.flush();
    assert.equal(result.accepted, 1);
    assert.deepEqual(result.rejected.map((r) => r.reason), ['item_id: must not be empty']);
    assert.equal(result.rejected[0].event.itemId, '');
    assert.equal(result.failed, 2);
    assert.deepEqual(rejectedSeen, ['u1:item_id: must not be empty']);
    assert.equal(errors.length, 1);
    assert.equal(errors[0][0].code, 'UNAVAILABLE');
    assert.deepEqual(errors[0][1].map((e) => e.itemId), ['b', 'c']);
    // The next flush reports only what was sent since.
    assert.deepEqual(await recorder.flush(), { accepted: 0, rejected: [], failed: 0 });
  });

  test('the default onError is a process warning, not silence', async () => {
    const warnings: string[] = [];
    const listener = (warning: Error) => warnings.push(warning.message);
    process.on('warning', listener);
    try {
      const recorder = new ClickRecorder(new FakeSink(), { flushIntervalMs: 60_000 });
      recorder.recordClick('down', 'a');
      assert.equal((await recorder.close()).failed, 1);
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(warnings.some((w) => /1 event\(s\) not sent: UNAVAILABLE/.test(w)), String(warnings));
    } finally {
      process.off('warning', listener);
    }
  });

  test('closed and overflowing recorders throw; bad options throw', async () => {
    const recorder = new ClickRecorder(new FakeSink(), { maxBatch: 2, maxBuffered: 3,
                                                         flushIntervalMs: 60_000 });
    recorder.recordClick('u1', 'a');
    recorder.recordClick('u1', 'b');  // Sent (in flight).
    recorder.recordClick('u1', 'c');
    assert.throws(() => recorder.recordClick('u1', 'd'),
                  (e: HrnnError) => e.code === 'RESOURCE_EXHAUSTED');
    assert.equal((await recorder.close()).accepted, 3);
    assert.throws(() => recorder.recordClick('u1', 'e'),
                  (e: HrnnError) => e.code === 'FAILED_PRECONDITION');
    assert.throws(() => recorder.record({ userId: 'u1' } as Event), TypeError);
    assert.throws(() => new ClickRecorder(new FakeSink(), { maxBatch: 0 }), /^RangeError: maxBatch/);
    assert.throws(() => new ClickRecorder(new FakeSink(), { maxBatch: 1001 }), /maxBatch/);
    assert.throws(() => new ClickRecorder({} as FakeSink), /sink/);
  });
});
