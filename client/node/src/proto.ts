// Loads the package's copy of the protos (proto/, copied from the repository's proto/ by the
// build step) with @grpc/proto-loader, once per process.

import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Where the protos are: <package>/proto (this file is <package>/dist/src/proto.js). */
export const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');

/**
 * proto-loader's options: lowerCamelCase field names, int64 as numbers, enums as their names,
 * every field present in responses, no virtual oneof fields.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: false,
  includeDirs: [PROTO_DIR],
};

export interface Protos {
  /** hrnn.v1.Recommender's client constructor (with `.service`, for a server). */
  Recommender: grpc.ServiceClientConstructor;
  /** grpc.health.v1.Health's client constructor. */
  Health: grpc.ServiceClientConstructor;
}

let protos: Protos | undefined;

/** The loaded services (cached). Throws when the package's proto/ copy is missing. */
export function loadProtos(): Protos {
  if (protos === undefined) {
    const definition = protoLoader.loadSync(
      ['hrnn/v1/recommender.proto', 'grpc/health/v1/health.proto'], LOADER_OPTIONS);
    const root = grpc.loadPackageDefinition(definition) as any;
    protos = { Recommender: root.hrnn.v1.Recommender, Health: root.grpc.health.v1.Health };
  }
  return protos;
}
