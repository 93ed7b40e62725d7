// Integration tests against a running hrnn-server, named by the environment (skipped, with the
// reason printed, without it):
//   HRNN_TARGET       host:port of hrnn-server (scripts/node-client-test.sh starts one)
//   HRNN_ITEMS        optional: comma-separated item ids the model knows (at least 3); default:
//                     the items a new user is recommended
//   HRNN_FILTERS      "1" when the server has the filter
//                     not_clicked: EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPES)
//   HRNN_AUTH_TARGET, HRNN_TOKEN: optional, a server with --auth_tokens_file holding the token.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Event, HrnnClient, HrnnError } from '../src';

const TARGET = process.env.HRNN_TARGET ?? '';
const SKIP = TARGET ? false
  : 'HRNN_TARGET (host:port of a live hrnn-server) is not set: live tests skipped';
if (SKIP) console.log(SKIP);

const newUser = () => `node-test-${randomUUID().slice(0, 12)}`;

function clicks(user: string, items: string[], session = 's1'): Event[] {
  const now = Date.now();
  return items.map((itemId, i) => ({ userId: user, itemId, sessionId: session, timestampMs: now + i }));
}

describe('against a live hrnn-server', { skip: SKIP }, () => {
  let client: HrnnClient;
  let items: string[] = [];

  before(async () => {
    client = new HrnnClient(TARGET, { deadlineMs: 5000 });
    items = (process.env.HRNN_ITEMS ?? '').split(',').filter((item) => item);
    if (items.length < 3) {
      const recs = await client.getRecommendations({ userId: newUser(), numResults: 3 });
      items = recs.items.map((item) => item.itemId);
    }
    assert.ok(items.length >= 3, 'need 3 item ids the model knows');
  });
  after(() => client.close());

  test('health and model info', async () => {
    assert.equal(await client.health(), 'SERVING');
    assert.equal(await client.health(''), 'SERVING');
    const info = await client.getModelInfo();
    assert.equal(info.name, 'shop');
    assert.equal(typeof info.version, 'number');
    assert.ok(info.version >= 1);
    assert.ok(info.numItems > 0);
    assert.ok(info.loadedAtMs > 1_600_000_000_000 && info.loadedAtMs <= Date.now());
    assert.ok(info.recipes.includes('hrnn'), String(info.recipes));
    assert.equal(typeof info.metrics, 'object');
  });

  test('recommendations follow putEvents; ranking; similar items', async () => {
    const user = newUser();
    const before = await client.getRecommendations({ userId: user, numResults: 10 });
    assert.equal(before.state, 'new_user');
    assert.equal(before.items.length, 10);
    assert.match(before.recommendationId, /^[0-9a-f]{32}/);
    const put = await client.putEvents(clicks(user, items.slice(0, 3)));
    assert.deepEqual(put, { accepted: 3, rejected: [] });
    const recs = await client.getRecommendations({
      userId: user, numResults: 10, sessionId: 's1', filter: { excludeSessionItems: true } });
    assert.equal(recs.state, 'session');
    assert.equal(recs.items.length, 10);
    assert.equal(typeof recs.modelVersion, 'number');
    assert.ok(recs.modelVersion >= 1);
    const shown = new Set(recs.items.map((item) => item.itemId));
    assert.ok(items.slice(0, 3).every((item) => !shown.has(item)), 'session items were excluded');
    const ranked = await client.getPersonalizedRanking({
      userId: user, inputItemIds: [recs.items[0].itemId, 'no-such-item'] });
    assert.deepEqual(ranked.items.map((item) => item.known), [true, false]);
    const similar = await client.getSimilarItems({ itemId: items[0], numResults: 4 });
    assert.equal(similar.items.length, 4);
    assert.ok(!similar.items.some((item) => item.itemId === items[0]));
    assert.ok(['auto', 'hrnn'].includes(similar.recipe), similar.recipe);
  });

  test('num_results 9999 is INVALID_ARGUMENT naming the field', async () => {
    await assert.rejects(client.getRecommendations({ userId: newUser(), numResults: 9999 }),
                         (e: unknown) => {
                           assert.ok(e instanceof HrnnError, String(e));
                           assert.equal(e.code, 'INVALID_ARGUMENT');
                           assert.equal(e.grpcCode, 3);
                           assert.match(e.details, /num_results/);
                           assert.equal(e.attempts, 1);
                           return true;
                         });
  });

  test('an unknown item is NOT_FOUND for getSimilarItems', async () => {
    await assert.rejects(client.getSimilarItems({ itemId: 'no-such-item' }),
                         (e: HrnnError) => e.code === 'NOT_FOUND');
  });

  test('an event stream counts accepted and rejected events', async () => {
    const user = newUser();
    const stream = client.streamEvents(user);
    for (const event of clicks(user, items.slice(0, 3))) stream.write(event);
    stream.write({ userId: user, itemId: '' });  // Rejected: no item_id.
    assert.equal(stream.written, 4);
    const summary = await stream.end();
    assert.equal(summary.accepted, 3);
    assert.deepEqual(summary.rejected.map((r) => r.index), [3]);
    assert.match(summary.rejected[0].reason, /item_id/);
    assert.equal((await client.getRecommendations({ userId: user, sessionId: 's1' })).state, 'session');
  });

  test('ClickRecorder: clicks batched per user reach the server', async () => {
    const [ann, bob] = [newUser(), newUser()];
    const recorder = client.clickRecorder({ maxBatch: 4, flushIntervalMs: 50 });
    for (const item of items.slice(0, 3)) {
      recorder.recordClick(ann, item, { sessionId: 's1' });
      recorder.recordClick(bob, item, { sessionId: 's1', eventType: 'view' });
    }
    recorder.recordClick(ann, '', { sessionId: 's1' });  // Rejected, and reported.
    const result = await recorder.close();
    assert.equal(result.accepted, 6);
    assert.equal(result.failed, 0);
    assert.deepEqual(result.rejected.map((r) => r.event.userId), [ann]);
    assert.match(result.rejected[0].reason, /item_id/);
    assert.equal((await client.getRecommendations({ userId: ann, sessionId: 's1' })).state, 'session');
  });

  test('deleteUser forgets the user; idempotent', async () => {
    const user = newUser();
    await client.putEvents(clicks(user, items.slice(0, 2)));
    assert.equal(await client.deleteUser(user), true);
    assert.equal(await client.deleteUser(user), false);
    assert.equal((await client.getRecommendations({ userId: user })).state, 'new_user');
  });

  test('putItems marks an item unavailable, then available again', async () => {
    const top = (await client.getRecommendations({ userId: newUser(), numResults: 5 })).items[0].itemId;
    const response = await client.putItems({ [top]: false, 'no-such-item': false });
    try {
      assert.equal(response.updated, 1);
      assert.deepEqual(response.unknownItemIds, ['no-such-item']);
      const recs = await client.getRecommendations({ userId: newUser(), numResults: 20 });
      assert.ok(!recs.items.some((item) => item.itemId === top));
    } finally {
      assert.equal((await client.putItems([{ itemId: top, available: true }])).updated, 1);
    }
  });

  test('named filters', { skip: process.env.HRNN_FILTERS === '1' ? false : 'HRNN_FILTERS not 1' },
       async () => {
         const filters = await client.listFilters();
         const notClicked = filters.find((f) => f.name === 'not_clicked');
         assert.ok(notClicked, JSON.stringify(filters));
         assert.deepEqual(notClicked.parameters, [{ name: 'TYPES', numeric: false }]);
         const user = newUser();
         await client.putEvents(clicks(user, items.slice(0, 3)));
         const recs = await client.getRecommendations({
           userId: user, numResults: 20, filter: { name: 'not_clicked', values: { TYPES: ['click'] } } });
         assert.equal(recs.items.length, 20);
         assert.ok(!recs.items.some((item) => items.slice(0, 3).includes(item.itemId)));
         await assert.rejects(client.getRecommendations({ userId: user, filter: { name: 'no_such_filter' } }),
                              (e: HrnnError) => e.code === 'INVALID_ARGUMENT' && /filter\.name/.test(e.details));
       });

  test('the routing metadata is sent on every call about a user (seen by an interceptor)', async () => {
    const seen: Array<[string, string | undefined]> = [];
    const capture: grpc.Interceptor = (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        seen.push([options.method_definition.path.split('/').pop()!,
                   metadata.get('hrnn-user-id')[0] as string | undefined]);
        next(metadata, listener);
      },
    });
    const traced = new HrnnClient(TARGET, { deadlineMs: 5000, interceptors: [capture] });
    try {
      const user = `${newUser()}-é`;
      const value = user.replace('é', '%C3%A9');
      await traced.putEvents(clicks(user, items.slice(0, 1)));
      await traced.getRecommendations({ userId: user, numResults: 3 });
      await traced.getPersonalizedRanking({ userId: user, inputItemIds: items.slice(0, 2) });
      await traced.getSimilarItems({ itemId: items[0], userId: user, numResults: 3 });
      await traced.streamEvents(user).end();
      await traced.deleteUser(user);
      await traced.getModelInfo();
      assert.deepEqual(seen, [
        ['PutEvents', value], ['GetRecommendations', value], ['GetPersonalizedRanking', value],
        ['GetSimilarItems', value], ['StreamEvents', value], ['DeleteUser', value],
        ['GetModelInfo', undefined]]);
    } finally {
      traced.close();
    }
  });

  test('a tiny per-call deadline is DEADLINE_EXCEEDED', async () => {
    await assert.rejects(client.getRecommendations({ userId: newUser() }, { deadlineMs: 0.001 }),
                         (e: HrnnError) => e.code === 'DEADLINE_EXCEEDED');
  });
});

const AUTH_TARGET = process.env.HRNN_AUTH_TARGET ?? '';
describe('against a live hrnn-server with --auth_tokens_file',
         { skip: AUTH_TARGET ? false : 'HRNN_AUTH_TARGET not set' }, () => {
  test('the token is sent', async () => {
    const anonymous = new HrnnClient(AUTH_TARGET, { deadlineMs: 5000 });
    try {
      assert.equal(await anonymous.health(), 'SERVING');  // Probes need no token.
      await assert.rejects(anonymous.getModelInfo(), (e: HrnnError) => e.code === 'UNAUTHENTICATED');
    } finally {
      anonymous.close();
    }
    const client = new HrnnClient(AUTH_TARGET, { deadlineMs: 5000, token: process.env.HRNN_TOKEN });
    try {
      assert.equal((await client.getModelInfo()).name, 'shop');
      const user = newUser();
      const stream = client.streamEvents(user);
      stream.write({ userId: user, itemId: 'no-such-item' });
      assert.equal((await stream.end()).accepted, 1);
    } finally {
      client.close();
    }
  });
});
