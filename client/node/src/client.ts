// HrnnClient: the typed Node.js client of hrnn.v1.Recommender (the counterpart of
// client/recommender_client.h in C++ and client/python's hrnn.HrnnClient).
//
// Every call about a user carries the `hrnn-user-id` routing metadata; every unary call has a
// deadline (all its attempts and backoff sleeps included) and is retried on UNAVAILABLE with
// exponential backoff and jitter, a bounded number of times. Failed calls reject with
// HrnnError, never with a raw grpc-js error.

import * as grpc from '@grpc/grpc-js';
import { retryBackoffMs } from './backoff';
import { ClickRecorder, ClickRecorderOptions } from './click-recorder';
import { HrnnError } from './errors';
import { EventStream } from './event-stream';
import { loadProtos } from './proto';
import { USER_ID_METADATA_KEY, userIdMetadataValue } from './routing';
import {
  CallOptions, Event, GetPersonalizedRankingRequest, GetPersonalizedRankingResponse,
  GetRecommendationsRequest, GetRecommendationsResponse, GetSimilarItemsRequest,
  GetSimilarItemsResponse, ItemAvailability, ModelInfo, NamedFilterInfo, PutEventsResponse,
  PutItemsResponse, ServingStatus, checkEvent, filterMessage, promotionMessage,
} from './types';

/** The service name the health service reports the recommender under. */
export const RECOMMENDER_SERVICE = 'hrnn.v1.Recommender';

export interface HrnnClientOptions {
  /** Sent as "authorization: Bearer <token>" on every call (the server's --auth_tokens_file). */
  token?: string;
  /** Use TLS (with the system's roots unless rootCertificates is given). Implied by the next three. */
  tls?: boolean;
  /** PEM root certificates to trust. */
  rootCertificates?: Buffer;
  /** PEM client key and certificate chain, for mutual TLS (both or neither). */
  privateKey?: Buffer;
  certificateChain?: Buffer;
  /** Milliseconds each unary call may take, its retries and backoff included (default 2000). */
  deadlineMs?: number;
  /** Milliseconds one StreamEvents stream may stay open (default 300000; null: no limit). */
  streamDeadlineMs?: number | null;
  /** Attempts per unary call, the first included, 1..10 (default 3); only UNAVAILABLE is retried. */
  maxAttempts?: number;
  /** The sleep before retry n is min(initialBackoffMs * 2^(n-1), maxBackoffMs), jittered to 50..100%. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Extra grpc-js channel options (e.g. 'grpc.ssl_target_name_override'). */
  channelOptions?: grpc.ChannelOptions;
  /** grpc-js client interceptors (tracing, logging), applied to every call. */
  interceptors?: grpc.Interceptor[];
}

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;
type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions,
                    callback: Callback<any>) => grpc.ClientUnaryCall;

function positive(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new RangeError(`${name}: ${String(value)} is not a positive number of milliseconds`);
  }
  return value;
}

/** Resolves after `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A connection to hrnn-server (or a proxy in front of it). Connecting is lazy: an unreachable
 * server shows as HrnnError UNAVAILABLE on the first call. Call close() to release the channel.
 */
export class HrnnClient {
  readonly target: string;
  private readonly deadlineMs: number;
  private readonly streamDeadlineMs: number | null;
  private readonly maxAttempts: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly token?: string;
  private readonly stub: grpc.Client & Record<string, any>;
  private readonly health_: grpc.Client & Record<string, any>;

  /**
   * Opens a channel to `target` ("host:port", "dns:///recs.internal:443", ...). Throws a
   * TypeError or RangeError naming the first bad option.
   */
  constructor(target: string, options: HrnnClientOptions = {}) {
    if (typeof target !== 'string' || target === '') {
      throw new TypeError('target: must be a non-empty "host:port" string');
    }
    this.target = target;
    this.deadlineMs = positive(options.deadlineMs ?? 2000, 'deadlineMs');
    this.streamDeadlineMs = options.streamDeadlineMs === null ? null
      : positive(options.streamDeadlineMs ?? 300_000, 'streamDeadlineMs');
    const attempts = options.maxAttempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) {
      throw new RangeError(`maxAttempts: ${String(attempts)} is outside 1..10`);
    }
    this.maxAttempts = attempts;
    this.initialBackoffMs = positive(options.initialBackoffMs ?? 50, 'initialBackoffMs');
    this.maxBackoffMs = positive(options.maxBackoffMs ?? 1000, 'maxBackoffMs');
    if (this.initialBackoffMs > this.maxBackoffMs) {
      throw new RangeError('initialBackoffMs, maxBackoffMs: need initialBackoffMs <= ' +
                           `maxBackoffMs, got ${this.initialBackoffMs} and ${this.maxBackoffMs}`);
    }
    if (options.token !== undefined &&
        (typeof options.token !== 'string' || options.token === '' || /\s/.test(options.token))) {
      throw new TypeError('token: must be a non-empty string without whitespace');
    }
    this.token = options.token;
    if ((options.privateKey === undefined) !== (options.certificateChain === undefined)) {
      throw new TypeError('privateKey, certificateChain: give both (mutual TLS) or neither');
    }
    const tls = options.tls || options.rootCertificates !== undefined ||
      options.privateKey !== undefined;
    const credentials = tls
      ? grpc.credentials.createSsl(options.rootCertificates ?? null, options.privateKey ?? null,
                                   options.certificateChain ?? null)
      : grpc.credentials.createInsecure();
    const channelOptions: grpc.ClientOptions = {
      'grpc.max_receive_message_length': 64 << 20,
      ...options.channelOptions,
      interceptors: options.interceptors,
    };
    const { Recommender, Health } = loadProtos();
    this.stub = new Recommender(target, credentials, channelOptions) as any;
    // The health client shares the recommender's channel.
    this.health_ = new Health(target, credentials, { ...channelOptions, channelOverride:
      this.stub.getChannel() }) as any;
  }

  /** Closes the channel; calls in flight are cancelled. */
  close(): void {
    this.stub.close();
  }

  // -- the calls ------------------------------------------------------------------------------

  /**
   * The top items for a user right now (GetRecommendations). Rejects with HrnnError
   * (INVALID_ARGUMENT naming the field for a bad request, UNAVAILABLE when no server answers
   * after the retries).
   */
  getRecommendations(request: GetRecommendationsRequest,
                     options?: CallOptions): Promise<GetRecommendationsResponse> {
    return this.unary(this.stub.GetRecommendations, () => ({
      ...request, filter: filterMessage(request.filter),
      promotion: promotionMessage(request.promotion) }), request.userId, options);
  }

  /**
   * The items most like one item (GetSimilarItems); `userId` (optional) is the shopper whose
   * state the filter's user-based options read. NOT_FOUND for an item the model does not know.
   */
  getSimilarItems(request: GetSimilarItemsRequest,
                  options?: CallOptions): Promise<GetSimilarItemsResponse> {
    return this.unary(this.stub.GetSimilarItems, () => ({
      ...request, filter: filterMessage(request.filter) }), request.userId, options);
  }

  /** Re-ranks the candidates `inputItemIds` (1..500) for a user, best first. */
  getPersonalizedRanking(request: GetPersonalizedRankingRequest,
                         options?: CallOptions): Promise<GetPersonalizedRankingResponse> {
    return this.unary(this.stub.GetPersonalizedRanking, () => {
      if (!Array.isArray(request.inputItemIds)) {
        throw new TypeError('inputItemIds: expected an array of item ids');
      }
      return { ...request, filter: filterMessage(request.filter) };
    }, request.userId, options);
  }

  /**
   * Applies events in order (PutEvents). Each event is accepted or rejected on its own: the
   * response counts the accepted and lists the rejected with their index and reason. The
   * routing metadata is sent when all events are about one user (through a proxy that routes
   * by user, send one user's events per call: ClickRecorder does).
   */
  putEvents(events: Event[], options?: CallOptions): Promise<PutEventsResponse> {
    let user = '';
    return this.unary(this.stub.PutEvents, () => {
      if (!Array.isArray(events)) throw new TypeError('events: expected an array of Event');
      events.forEach((event, i) => checkEvent(event, `events[${i}]`));
      const users = new Set(events.map((event) => event.userId));
      user = users.size === 1 ? [...users][0] : '';
      return { events };
    }, () => user, options);
  }

  /**
   * Opens a StreamEvents stream; `userId`, when given, is sent as the routing metadata (for a
   * stream about one user). Bounded by the client's streamDeadlineMs; never retried.
   */
  streamEvents(userId = ''): EventStream {
    const metadata = this.metadata(userId);
    const callOptions: grpc.CallOptions = this.streamDeadlineMs === null ? {}
      : { deadline: Date.now() + this.streamDeadlineMs };
    return new EventStream((callback) =>
      this.stub.StreamEvents(metadata, callOptions, callback));
  }

  /**
   * A ClickRecorder on this client: buffers events and sends them with PutEvents, one call per
   * user, every `maxBatch` events or `flushIntervalMs` (see ClickRecorder).
   */
  clickRecorder(options?: ClickRecorderOptions): ClickRecorder {
    return new ClickRecorder(this, options);
  }

  /**
   * Marks items available (true) or unavailable (false; never recommended) (PutItems): an
   * array of { itemId, available } or an object of item id to availability, 1..10000 items.
   */
  putItems(items: ItemAvailability[] | Record<string, boolean>,
           options?: CallOptions): Promise<PutItemsResponse> {
    return this.unary(this.stub.PutItems, () => ({
      items: Array.isArray(items) ? items
        : Object.entries(items).map(([itemId, available]) => ({ itemId, available: !!available })),
    }), '', options);
  }

  /**
   * Forgets a user's state (DeleteUser); idempotent. Resolves true when the server held state
   * for the user.
   */
  async deleteUser(userId: string, options?: CallOptions): Promise<boolean> {
    const response = await this.unary<{ deleted: boolean }>(this.stub.DeleteUser,
                                                            () => ({ userId }), userId, options);
    return response.deleted;
  }

  /** The model being served (GetModelInfo); UNAVAILABLE while no model is loaded. */
  getModelInfo(options?: CallOptions): Promise<ModelInfo> {
    return this.unary(this.stub.GetModelInfo, () => ({}), '', options);
  }

  /** The server's named filters (ListFilters) with their parameters. */
  async listFilters(options?: CallOptions): Promise<NamedFilterInfo[]> {
    const response = await this.unary<{ filters: NamedFilterInfo[] }>(
      this.stub.ListFilters, () => ({}), '', options);
    return response.filters;
  }

  /**
   * The serving status of `service` from the gRPC health service (grpc.health.v1): "SERVING",
   * "NOT_SERVING" (no model loaded yet), ... NOT_FOUND for an unknown service.
   */
  async health(service: string = RECOMMENDER_SERVICE,
               options?: CallOptions): Promise<ServingStatus> {
    const response = await this.unary<{ status: ServingStatus }>(
      this.health_.Check, () => ({ service }), '', options, this.health_);
    return response.status;
  }

  // -- internals ------------------------------------------------------------------------------

  private metadata(userId: string | undefined): grpc.Metadata {
    const metadata = new grpc.Metadata();
    if (this.token !== undefined) metadata.set('authorization', `Bearer ${this.token}`);
    if (userId) metadata.set(USER_ID_METADATA_KEY, userIdMetadataValue(userId));
    return metadata;
  }

  /**
   * Calls `method` with the routing and auth metadata, retrying UNAVAILABLE within the
   * deadline. `build` makes the request (its exceptions reject the promise, as HrnnError
   * INVALID_ARGUMENT for a TypeError/RangeError); `user` is the routing user (or a function
   * giving it once the request is built).
   */
  private async unary<T>(method: UnaryMethod, build: () => object,
                         user: string | undefined | (() => string), options: CallOptions = {},
                         client: grpc.Client = this.stub): Promise<T> {
    const budget = options.deadlineMs ?? this.deadlineMs;
    if (typeof budget !== 'number' || !(budget > 0)) {
      throw new HrnnError('INVALID_ARGUMENT',
                          `deadlineMs: ${String(options.deadlineMs)} is not positive`,
                          { attempts: 0 });
    }
    let request: object;
    try {
      request = build();
    } catch (error) {
      throw new HrnnError('INVALID_ARGUMENT', error instanceof Error ? error.message : String(error),
                          { attempts: 0, cause: error });
    }
    const deadline = Date.now() + budget;
    const metadata = this.metadata(typeof user === 'function' ? user() : user);
    for (let attempt = 1; ; attempt += 1) {
      if (Date.now() >= deadline) {
        throw new HrnnError('DEADLINE_EXCEEDED', 'deadline exceeded before the call was sent',
                            { attempts: attempt - 1 });
      }
      let failure: HrnnError;
      try {
        return await new Promise<T>((resolve, reject) => {
          method.call(client, request, metadata, { deadline }, (error, response) => {
            if (error) reject(error); else resolve(response as T);
          });
        });
      } catch (error) {
        failure = HrnnError.from(error, attempt);
      }
      if (failure.code !== 'UNAVAILABLE' || attempt >= this.maxAttempts) throw failure;
      const backoff = retryBackoffMs(attempt, this.initialBackoffMs, this.maxBackoffMs);
      if (Date.now() + backoff >= deadline) throw failure;
      await sleep(backoff);
    }
  }
}
