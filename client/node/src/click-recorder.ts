// ClickRecorder: the putEvents helper for storefront back-ends. It buffers events and sends
// them with PutEvents every `maxBatch` events or `flushIntervalMs`, one call per user (so that
// each call carries that user's `hrnn-user-id` routing metadata and a user's events stay in
// order), and never drops an event silently: every event ends up accepted, rejected (with the
// server's reason) or failed (its call's HrnnError, passed to `onError`).

import { HrnnError } from './errors';
import { CallOptions, Event, PutEventsResponse, checkEvent } from './types';

/** What a ClickRecorder sends with: an HrnnClient, or a fake in tests. */
export interface EventSink {
  putEvents(events: Event[], options?: CallOptions): Promise<PutEventsResponse>;
}

/** recordClick's optional fields. */
export interface ClickOptions {
  sessionId?: string;
  recommendationId?: string;
  /** Default "click". */
  eventType?: string;
  eventValue?: number;
  /** Default: Date.now() when recorded (not when sent). */
  timestampMs?: number;
  impressionItemIds?: string[];
}

export interface ClickRecorderOptions {
  /** Send when this many events are buffered (default 100; 1..1000, the server's default cap). */
  maxBatch?: number;
  /** Send what is buffered this long after the first unsent event (default 1000 ms). */
  flushIntervalMs?: number;
  /** record() throws RESOURCE_EXHAUSTED beyond this many unsent events (default 10000). */
  maxBuffered?: number;
  /** PutEvents calls in flight at once, each for a different user (default 8). */
  maxConcurrentCalls?: number;
  /**
   * Called with each failed call's HrnnError (after the client's retries) and its events,
   * which are not re-sent. Default: a process warning (process.emitWarning).
   */
  onError?: (error: HrnnError, events: Event[]) => void;
  /** Called for each event the server rejected, with its reason. */
  onRejected?: (event: Event, reason: string) => void;
  /** Per-call options of the PutEvents calls (a deadline). */
  callOptions?: CallOptions;
}

/** The outcome of the events sent since the previous flush() or close(). */
export interface FlushResult {
  accepted: number;
  /** Events the server rejected, with its reason naming the field. */
  rejected: Array<{ event: Event; reason: string }>;
  /** Events whose PutEvents call failed (also passed to onError). */
  failed: number;
}

function integerIn(value: number, low: number, high: number, name: string): number {
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new RangeError(`${name}: ${String(value)} is outside ${low}..${high}`);
  }
  return value;
}

export class ClickRecorder {
  private readonly sink: EventSink;
  private readonly maxBatch: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly maxConcurrentCalls: number;
  private readonly onError: (error: HrnnError, events: Event[]) => void;
  private readonly onRejected?: (event: Event, reason: string) => void;
  private readonly callOptions?: CallOptions;
  private buffer: Event[] = [];
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();  // The chain of sends, in order.
  private inFlight = 0;  // Events handed to a send not yet settled.
  private closed = false;
  private result: FlushResult = { accepted: 0, rejected: [], failed: 0 };

  constructor(sink: EventSink, options: ClickRecorderOptions = {}) {
    if (typeof sink?.putEvents !== 'function') {
      throw new TypeError('sink: expected an HrnnClient (an object with putEvents)');
    }
    this.sink = sink;
    this.maxBatch = integerIn(options.maxBatch ?? 100, 1, 1000, 'maxBatch');
    this.flushIntervalMs = integerIn(options.flushIntervalMs ?? 1000, 1, 3_600_000,
                                     'flushIntervalMs');
    this.maxBuffered = integerIn(options.maxBuffered ?? 10_000, this.maxBatch, 10_000_000,
                                 'maxBuffered');
    this.maxConcurrentCalls = integerIn(options.maxConcurrentCalls ?? 8, 1, 256,
                                        'maxConcurrentCalls');
    this.onError = options.onError ?? ((error, events) => {
      process.emitWarning(`hrnn ClickRecorder: ${events.length} event(s) not sent: ${error.message}`,
                          'HrnnClickRecorderWarning');
    });
    this.onRejected = options.onRejected;
    this.callOptions = options.callOptions;
  }

  /** Events recorded and not yet answered (buffered or in flight). */
  get pending(): number {
    return this.buffer.length + this.inFlight;
  }

  /**
   * Buffers one event. Throws HrnnError FAILED_PRECONDITION after close(), RESOURCE_EXHAUSTED
   * when maxBuffered events are waiting (the server is down or slower than the clicks).
   */
  record(event: Event): void {
    checkEvent(event, 'event');
    if (this.closed) {
      throw new HrnnError('FAILED_PRECONDITION', 'click recorder: closed', { attempts: 0 });
    }
    if (this.pending >= this.maxBuffered) {
      throw new HrnnError('RESOURCE_EXHAUSTED',
                          `click recorder: ${this.pending} events waiting (maxBuffered)`,
                          { attempts: 0 });
    }
    this.buffer.push(event);
    if (this.buffer.length >= this.maxBatch) {
      this.send();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => { this.timer = undefined; this.send(); },
                              this.flushIntervalMs);
    }
  }

  /** Buffers a click (or another eventType) of `userId` on `itemId`, stamped now. */
  recordClick(userId: string, itemId: string, options: ClickOptions = {}): void {
    const event: Event = {
      userId, itemId, eventType: options.eventType ?? 'click',
      timestampMs: options.timestampMs ?? Date.now(),
    };
    if (options.sessionId) event.sessionId = options.sessionId;
    if (options.recommendationId) event.recommendationId = options.recommendationId;
    if (options.eventValue !== undefined) event.eventValue = options.eventValue;
    if (options.impressionItemIds) event.impressionItemIds = options.impressionItemIds;
    this.record(event);
  }

  /**
   * Sends everything buffered, waits until every event recorded so far is answered, and
   * resolves with the outcome of the events sent since the previous flush() or close().
   * Never rejects: failed calls count in `failed` (and went to onError).
   */
  async flush(): Promise<FlushResult> {
    this.send();
    await this.sending;
    const result = this.result;
    this.result = { accepted: 0, rejected: [], failed: 0 };
    return result;
  }

  /** Flushes, then refuses further events. */
  close(): Promise<FlushResult> {
    this.closed = true;
    return this.flush();
  }

  /** Takes the buffer and chains its sending after the sends before it (keeps order). */
  private send(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    this.inFlight += events.length;
    this.sending = this.sending.then(() => this.sendBatches(events));
  }

  /** Sends `events` as one PutEvents call per user (chunks of maxBatch), a few at a time. */
  private async sendBatches(events: Event[]): Promise<void> {
    const byUser = new Map<string, Event[]>();
    for (const event of events) {
      const list = byUser.get(event.userId);
      if (list) list.push(event); else byUser.set(event.userId, [event]);
    }
    // One queue per user: a user's chunks are sent one after the other, in order.
    const queues = [...byUser.values()];
    const next = async (): Promise<void> => {
      for (let queue = queues.shift(); queue !== undefined; queue = queues.shift()) {
        for (let i = 0; i < queue.length; i += this.maxBatch) {
          await this.sendOne(queue.slice(i, i + this.maxBatch));
        }
      }
    };
    const workers = Array.from({ length: Math.min(this.maxConcurrentCalls, queues.length) }, next);
    await Promise.all(workers);
  }

  private async sendOne(batch: Event[]): Promise<void> {
    try {
      const response = await this.sink.putEvents(batch, this.callOptions);
      this.result.accepted += response.accepted;
      for (const rejected of response.rejected) {
        const event = batch[rejected.index];
        this.result.rejected.push({ event, reason: rejected.reason });
        this.safely(() => this.onRejected?.(event, rejected.reason));
      }
    } catch (error) {
      this.result.failed += batch.length;
      this.safely(() => this.onError(HrnnError.from(error), batch));
    } finally {
      this.inFlight -= batch.length;
    }
  }

  /** Runs a user callback; its exception must not break the send chain. */
  private safely(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      process.emitWarning(`hrnn ClickRecorder: a callback threw: ${String(error)}`,
                          'HrnnClickRecorderWarning');
    }
  }
}
