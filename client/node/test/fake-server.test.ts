// Tests against an in-process @grpc/grpc-js server serving the package's own proto: the routing
// and token metadata each call sends, retries on UNAVAILABLE (fail twice, then answer), bounded
// retries, no retry of other codes, a client interceptor, ClickRecorder's per-user calls, and
// a closed port. Run: npm test.

import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Event, HrnnClient, HrnnError, loadProtos } from '../src';

interface Recorded { method: string; metadata: Record<string, string> }

/** Records (method, metadata) per call; GetModelInfo fails `unavailable` times first. */
class FakeRecommender {
  calls: Recorded[] = [];
  unavailable = 0;
  server = new grpc.Server();
  port = 0;

  private record(method: string, call: { metadata: grpc.Metadata }): void {
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries(call.metadata.getMap())) metadata[key] = String(value);
    this.calls.push({ method, metadata });
  }

  metadataOf(method: string): Record<string, string> {
    const found = this.calls.filter((c) => c.method === method);
    assert.ok(found.length > 0, `no ${method} call recorded`);
    return found[found.length - 1].metadata;
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  async start(): Promise<void> {
    this.server.addService(loadProtos().Recommender.service, {
      GetRecommendations: (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
        this.record('GetRecommendations', call);
        if (call.request.numResults > 500) {
          callback({ code: grpc.status.INVALID_ARGUMENT,
                     details: `num_results: ${call.request.numResults} is outside 1..500` });
          return;
        }
        callback(null, { items: [{ itemId: 'i1', score: 1.5 }], state: 'new_user',
                         modelVersion: 7, recommendationId: 'ab'.repeat(16) });
      },
      PutEvents: (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
        this.record('PutEvents', call);
        callback(null, { accepted: call.request.events.length });
      },
      StreamEvents: (call: grpc.ServerReadableStream<any, any>, callback: grpc.sendUnaryData<any>) => {
        this.record('StreamEvents', call);
        let count = 0;
        call.on('data', () => { count += 1; });
        call.on('end', () => callback(null, { accepted: count }));
      },
      GetModelInfo: (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => {
        this.record('GetModelInfo', call);
        if (this.unavailable > 0) {
          this.unavailable -= 1;
          callback({ code: grpc.status.UNAVAILABLE, details: 'not yet' });
          return;
        }
        callback(null, { name: 'fake', version: 3, loadedAtMs: 1_765_000_000_123 });
      },
    });
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(),
                            (error, port) => (error ? reject(error) : resolve(port)));
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

describe('against an in-process fake server', () => {
  const fake = new FakeRecommender();
  let client: HrnnClient;
  const intercepted: Array<{ method: string; userId: string | undefined }> = [];

  before(async () => {
    await fake.start();
    // A client interceptor sees the metadata as sent.
    const capture: grpc.Interceptor = (options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        intercepted.push({ method: options.method_definition.path,
                           userId: metadata.get('hrnn-user-id')[0] as string | undefined });
        next(metadata, listener);
      },
    });
    client = new HrnnClient(`127.0.0.1:${fake.port}`, {
      token: 't0ken-for-the-fake-server', deadlineMs: 5000, initialBackoffMs: 10,
      maxBackoffMs: 20, interceptors: [capture] });
  });
  after(async () => {
    client.close();
    await fake.stop();
  });
  beforeEach(() => { fake.unavailable = 0; });

  test('user calls carry the routing metadata (escaped) and the token', async () => {
    const response = await client.getRecommendations({ userId: 'ü 100%', numResults: 5 });
    assert.deepEqual(response.items, [{ itemId: 'i1', score: 1.5, promotion: '' }]);
    assert.equal(response.modelVersion, 7);
    assert.equal(response.backfilled, 0);  // Defaults are filled in.
    const metadata = fake.metadataOf('GetRecommendations');
    assert.equal(metadata['hrnn-user-id'], '%C3%BC 100%25');
    assert.equal(metadata.authorization, 'Bearer t0ken-for-the-fake-server');
    assert.deepEqual(intercepted.filter((c) => c.method.endsWith('/GetRecommendations')).pop(),
                     { method: '/hrnn.v1.Recommender/GetRecommendations', userId: '%C3%BC 100%25' });
  });

  test('an INVALID_ARGUMENT answer rejects with HrnnError, not retried', async () => {
    const before = fake.count('GetRecommendations');
    await assert.rejects(client.getRecommendations({ userId: 'u1', numResults: 9999 }),
                         (e: HrnnError) => e instanceof HrnnError && e.code === 'INVALID_ARGUMENT' &&
                           e.grpcCode === 3 && e.details === 'num_results: 9999 is outside 1..500' &&
                           e.attempts === 1);
    assert.equal(fake.count('GetRecommendations'), before + 1);
  });

  test('putEvents routes only a single user', async () => {
    const one: Event[] = [{ userId: 'u1', itemId: 'i1' }, { userId: 'u1', itemId: 'i2', eventValue: 3 }];
    assert.equal((await client.putEvents(one)).accepted, 2);
    assert.equal(fake.metadataOf('PutEvents')['hrnn-user-id'], 'u1');
    await client.putEvents([{ userId: 'u1', itemId: 'i1' }, { userId: 'u2', itemId: 'i2' }]);
    assert.equal(fake.metadataOf('PutEvents')['hrnn-user-id'], undefined);
  });

  test('an event stream carries the routing metadata and counts events', async () => {
    const stream = client.streamEvents('u9');
    stream.write({ userId: 'u9', itemId: 'i1' });
    stream.write({ userId: 'u9', itemId: 'i2', timestampMs: Date.now() });
    assert.equal(stream.written, 2);
    assert.deepEqual(await stream.end(), { accepted: 2, rejected: [] });
    assert.equal(fake.metadataOf('StreamEvents')['hrnn-user-id'], 'u9');
    assert.throws(() => stream.write({ userId: 'u9', itemId: 'i3' }),
                  (e: HrnnError) => e.code === 'FAILED_PRECONDITION');
    await assert.rejects(stream.end(), (e: HrnnError) => e.code === 'FAILED_PRECONDITION');
  });

  test('ClickRecorder sends one call per user, each with its routing metadata', async () => {
    const first = fake.count('PutEvents');
    const recorder = client.clickRecorder({ maxBatch: 10, flushIntervalMs: 60_000 });
    for (const user of ['ann', 'bob', 'ann', 'cy']) recorder.recordClick(user, `i-${user}`);
    assert.deepEqual(await recorder.close(), { accepted: 4, rejected: [], failed: 0 });
    const users = fake.calls.filter((c) => c.method === 'PutEvents').slice(first)
      .map((c) => c.metadata['hrnn-user-id']).sort();
    assert.deepEqual(users, ['ann', 'bob', 'cy']);
  });

  test('UNAVAILABLE is retried, then succeeds', async () => {
    fake.unavailable = 2;
    const before = fake.count('GetModelInfo');
    const info = await client.getModelInfo();
    assert.equal(info.name, 'fake');
    assert.equal(info.version, 3);
    assert.equal(info.loadedAtMs, 1_765_000_000_123);  // int64 as a number.
    assert.equal(fake.count('GetModelInfo') - before, 3);
    assert.equal(fake.metadataOf('GetModelInfo')['hrnn-user-id'], undefined);
  });

  test('retries are bounded by maxAttempts', async () => {
    fake.unavailable = 10;
    const before = fake.count('GetModelInfo');
    await assert.rejects(client.getModelInfo(), (e: HrnnError) =>
      e.code === 'UNAVAILABLE' && e.attempts === 3 && e.details === 'not yet');
    assert.equal(fake.count('GetModelInfo') - before, 3);
  });

  test('retries stop at the deadline', async () => {
    fake.unavailable = 10;
    const slow = new HrnnClient(`127.0.0.1:${fake.port}`, {
      deadlineMs: 150, maxAttempts: 10, initialBackoffMs: 100, maxBackoffMs: 100 });
    try {
      const start = Date.now();
      await assert.rejects(slow.getModelInfo(), (e: HrnnError) =>
        e.code === 'UNAVAILABLE' && e.attempts < 10);
      assert.ok(Date.now() - start < 1000);
    } finally {
      slow.close();
    }
  });

  test('UNIMPLEMENTED is not retried', async () => {
    await assert.rejects(client.deleteUser('u1'),
                         (e: HrnnError) => e.code === 'UNIMPLEMENTED' && e.attempts === 1);
  });
});

describe('a closed port', () => {
  test('gives up with UNAVAILABLE after the retries, quickly', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const client = new HrnnClient(`127.0.0.1:${port}`, { deadlineMs: 5000, maxAttempts: 3 });
    try {
      const start = Date.now();
      await assert.rejects(client.getRecommendations({ userId: 'u1' }), (e: HrnnError) =>
        e instanceof HrnnError && e.code === 'UNAVAILABLE' && e.attempts === 3);
      assert.ok(Date.now() - start < 3000, `${Date.now() - start} ms`);
      const stream = client.streamEvents('u1');
      stream.write({ userId: 'u1', itemId: 'i1' });
      await assert.rejects(stream.end(), (e: HrnnError) => e.code === 'UNAVAILABLE');
    } finally {
      client.close();
    }
  });
});
