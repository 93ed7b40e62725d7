// EventStream: one open StreamEvents call (as client/event_stream.h in C++ and the Python
// client's EventStream).

import * as grpc from '@grpc/grpc-js';
import { HrnnError } from './errors';
import { Event, PutEventsResponse, checkEvent } from './types';

/**
 * An open StreamEvents call, created by HrnnClient.streamEvents(). write() sends events as they
 * come; end() closes the sending side and resolves with the server's summary (accepted, and
 * the rejected events by their position in the stream), or rejects with an HrnnError. Streams
 * are not retried. One writer at a time.
 */
export class EventStream {
  private readonly call: grpc.ClientWritableStream<object>;
  private readonly result: Promise<PutEventsResponse>;
  private settled = false;
  private finished = false;
  private count = 0;
  private summary?: PutEventsResponse;

  /** @internal `open` starts the call with the callback that receives its outcome. */
  constructor(open: (callback: grpc.requestCallback<PutEventsResponse>) =>
      grpc.ClientWritableStream<object>) {
    let call: grpc.ClientWritableStream<object> | undefined;
    this.result = new Promise<PutEventsResponse>((resolve, reject) => {
      call = open((error, response) => {
        this.settled = true;
        if (error) {
          reject(HrnnError.from(error));
        } else {
          this.summary = response ?? { accepted: 0, rejected: [] };
          resolve(this.summary);
        }
      });
    });
    // A stream that fails before end() is called must not be an unhandled rejection: end()
    // returns the same promise, so the caller still sees the error.
    this.result.catch(() => undefined);
    this.call = call!;
    // Errors are delivered to the callback; without a listener an 'error' event would throw.
    this.call.on('error', () => undefined);
  }

  /** Events handed to the stream so far. */
  get written(): number {
    return this.count;
  }

  /** The server's summary once end() resolved; else undefined. */
  get response(): PutEventsResponse | undefined {
    return this.summary;
  }

  /**
   * Sends one event. Returns false when the stream's buffer is full: then wait for drain()
   * before writing more. Throws HrnnError FAILED_PRECONDITION after end() or cancel(), and
   * UNAVAILABLE when the call has already ended (end() rejects with why).
   */
  write(event: Event): boolean {
    checkEvent(event, 'event');
    if (this.finished) {
      throw new HrnnError('FAILED_PRECONDITION', 'event stream: already closed', { attempts: 0 });
    }
    if (this.settled) {
      throw new HrnnError('UNAVAILABLE', 'event stream: broken; end() rejects with the reason',
                          { attempts: 0 });
    }
    this.count += 1;
    return this.call.write(event);
  }

  /** Resolves when the stream's buffer has room again (at once when it has). */
  drain(): Promise<void> {
    if (!this.call.writableNeedDrain || this.settled) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { this.call.off('drain', done); this.call.off('close', done); resolve(); };
      this.call.once('drain', done);
      this.call.once('close', done);
    });
  }

  /**
   * Ends the sending side and resolves with the server's summary; rejects with an HrnnError
   * when the call failed, FAILED_PRECONDITION when called again.
   */
  end(): Promise<PutEventsResponse> {
    if (this.finished) {
      return Promise.reject(
        new HrnnError('FAILED_PRECONDITION', 'event stream: already closed', { attempts: 0 }));
    }
    this.finished = true;
    this.call.end();
    return this.result;
  }

  /** Cancels the call unless it was ended: events not yet applied are dropped. */
  cancel(): void {
    if (this.finished) return;
    this.finished = true;
    this.call.cancel();
  }
}
