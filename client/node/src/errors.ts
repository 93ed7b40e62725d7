// HrnnError: what every failed call of the hrnn client rejects with (never a raw grpc-js error).

import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';

/** The gRPC status code names, by number. */
export const STATUS_NAMES: readonly string[] = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND',
  'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED',
  'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

/** A gRPC status code name: "INVALID_ARGUMENT", "UNAVAILABLE", ... */
export type StatusName =
  'OK' | 'CANCELLED' | 'UNKNOWN' | 'INVALID_ARGUMENT' | 'DEADLINE_EXCEEDED' | 'NOT_FOUND' |
  'ALREADY_EXISTS' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'FAILED_PRECONDITION' |
  'ABORTED' | 'OUT_OF_RANGE' | 'UNIMPLEMENTED' | 'INTERNAL' | 'UNAVAILABLE' | 'DATA_LOSS' |
  'UNAUTHENTICATED';

/** The name of a numeric gRPC status code ("UNKNOWN" for a number outside 0..16). */
export function statusName(code: number): StatusName {
  return (STATUS_NAMES[code] ?? 'UNKNOWN') as StatusName;
}

/**
 * A failed call: the gRPC status and the server's message.
 *
 * - `code`: the status code's name, e.g. "INVALID_ARGUMENT".
 * - `grpcCode`: its number (grpc-js `status`), e.g. 3.
 * - `details`: the server's message; for INVALID_ARGUMENT it names the field, e.g.
 *   "num_results: 9999 is outside 1..500" (field names as in the proto, snake_case).
 * - `message`: "CODE: details".
 * - `attempts`: calls made (retries on UNAVAILABLE included); 0 when none was sent.
 * - `metadata`: the trailing metadata the server sent, when there was a call.
 */
export class HrnnError extends Error {
  readonly code: StatusName;
  readonly grpcCode: number;
  readonly details: string;
  readonly attempts: number;
  readonly metadata?: Metadata;

  constructor(code: StatusName | number, details: string,
              options: { attempts?: number; metadata?: Metadata; cause?: unknown } = {}) {
    const name = typeof code === 'number' ? statusName(code) : code;
    super(`${name}: ${details}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HrnnError';
    this.code = name;
    this.grpcCode = typeof code === 'number' && STATUS_NAMES[code] !== undefined
      ? code : STATUS_NAMES.indexOf(name);
    this.details = details;
    this.attempts = options.attempts ?? 1;
    this.metadata = options.metadata;
  }

  /**
   * The HrnnError of anything a grpc-js call failed with: a ServiceError keeps its code,
   * details and metadata; an HrnnError is returned as is; anything else is UNKNOWN.
   */
  static from(error: unknown, attempts = 1): HrnnError {
    if (error instanceof HrnnError) return error;
    if (typeof error === 'object' && error !== null && typeof (error as any).code === 'number') {
      const e = error as { code: number; details?: string; message?: string; metadata?: Metadata };
      return new HrnnError(e.code, e.details || e.message || statusName(e.code),
                           { attempts, metadata: e.metadata, cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new HrnnError(GrpcStatus.UNKNOWN, message, { attempts, cause: error });
  }
}
