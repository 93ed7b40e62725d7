// The Node.js client of the hrnn recommendation service (hrnn.v1.Recommender). README.md shows
// how to use it.

export { HrnnClient, HrnnClientOptions, RECOMMENDER_SERVICE } from './client';
export { ClickOptions, ClickRecorder, ClickRecorderOptions, EventSink, FlushResult } from './click-recorder';
export { HrnnError, StatusName, statusName } from './errors';
export { EventStream } from './event-stream';
export { LOADER_OPTIONS, PROTO_DIR, loadProtos } from './proto';
export { USER_ID_METADATA_KEY, userIdMetadataValue } from './routing';
export { retryBackoffMs } from './backoff';
export * from './types';
