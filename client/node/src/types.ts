// The request and response types of hrnn.v1.Recommender (proto/hrnn/v1/recommender.proto
// documents every field). Field names are the proto's in lowerCamelCase (user_id -> userId),
// as @grpc/proto-loader gives them with keepCase: false — the proto3 JSON names. int64 fields
// (modelVersion, version, timestampMs, numItems, ...) are JavaScript numbers (proto-loader's
// `longs: Number`; exact up to 2^53, far above any millisecond timestamp or version).
// Responses carry every field (proto-loader's `defaults: true`): empty strings, 0, [] and {}.

/** A named filter's parameter values by name without "$": a list, one value, or the proto's form. */
export type FilterValuesInput = string[] | string | { values: string[] };

/** Which items may not be recommended (hrnn.v1.Filter). Every option is off by default. */
export interface Filter {
  excludeSessionItems?: boolean;
  excludeUserHistory?: boolean;
  excludePurchased?: boolean;
  excludeItemIds?: string[];
  includeItemIds?: string[];
  /** A named filter of the server (listFilters()). */
  name?: string;
  /** Its parameter values, e.g. { COLORS: ['red', 'navy'] } or { MAX: '20' }. */
  values?: Record<string, FilterValuesInput>;
}

/** A share of GetRecommendations' slots for a named filter's best items (hrnn.v1.Promotion). */
export interface Promotion {
  name: string;
  /** 1..100. */
  percentPromotedItems: number;
  filterName: string;
  filterValues?: Record<string, FilterValuesInput>;
}

export interface GetRecommendationsRequest {
  /** Required. */
  userId: string;
  sessionId?: string;
  /** 1..500; 0 or unset: the server's default, 25. */
  numResults?: number;
  filter?: Filter;
  context?: Record<string, string>;
  /** "hrnn", "sknn", "sr", "personal", "trending", "auto"; unset: the version's default. */
  recipe?: string;
  promotion?: Promotion;
}

export interface ScoredItem {
  itemId: string;
  score: number;
  /** The promotion's name when a promotion placed this item; "" otherwise. */
  promotion: string;
}

export interface GetRecommendationsResponse {
  items: ScoredItem[];
  recommendationId: string;
  modelVersion: number;
  /** "session", "user" or "new_user". */
  state: string;
  recipe: string;
  backfilled: number;
  experiment: string;
  arm: string;
}

export interface GetSimilarItemsRequest {
  /** Required; an id the model does not know is NOT_FOUND. */
  itemId: string;
  numResults?: number;
  filter?: Filter;
  /** Optional: the shopper whose state the filter's user-based options read. */
  userId?: string;
  sessionId?: string;
  context?: Record<string, string>;
}

export interface GetSimilarItemsResponse {
  items: ScoredItem[];
  recommendationId: string;
  modelVersion: number;
  recipe: string;
  backfilled: number;
}

export interface GetPersonalizedRankingRequest {
  /** Required. */
  userId: string;
  sessionId?: string;
  /** The candidates, 1..500 item ids. */
  inputItemIds: string[];
  filter?: Filter;
  context?: Record<string, string>;
}

export interface RankedItem {
  itemId: string;
  score: number;
  /** False for ids the model does not know (ranked last, in input order). */
  known: boolean;
}

export interface GetPersonalizedRankingResponse {
  items: RankedItem[];
  recommendationId: string;
  modelVersion: number;
  state: string;
}

/** One storefront interaction (hrnn.v1.Event). */
export interface Event {
  /** Required. */
  userId: string;
  /** Required; ids unknown to the model are accepted but change nothing. */
  itemId: string;
  sessionId?: string;
  /** "click" (the default when empty), "view", "add_to_cart", "purchase", ... */
  eventType?: string;
  /** Optional value (rating, price, quantity); must be finite. */
  eventValue?: number;
  /** Milliseconds since the Unix epoch; 0 or unset: "now" on the server's clock. */
  timestampMs?: number;
  impressionItemIds?: string[];
  /** The recommendationId this interaction came from, if any. */
  recommendationId?: string;
}

export interface RejectedEvent {
  /** Position of the event in the request (or stream), from 0. */
  index: number;
  /** Why, naming the field, e.g. "item_id: must not be empty". */
  reason: string;
}

export interface PutEventsResponse {
  accepted: number;
  rejected: RejectedEvent[];
}

export interface ItemAvailability {
  itemId: string;
  available: boolean;
}

export interface PutItemsResponse {
  updated: number;
  unknownItemIds: string[];
}

export interface ItemField {
  name: string;
  kind: string;
}

export interface ModelInfo {
  name: string;
  version: number;
  mode: string;
  numItems: number;
  hiddenSize: number;
  userHiddenSize: number;
  loss: string;
  dataFingerprint: string;
  createdAt: string;
  loadedAtMs: number;
  itemTable: string;
  unavailableItems: number;
  metrics: Record<string, number>;
  recipes: string[];
  defaultRecipe: string;
  blendWeights: Record<string, number>;
  itemFields: ItemField[];
  itemsWithAttributes: number;
}

export interface FilterParameterInfo {
  name: string;
  numeric: boolean;
}

export interface NamedFilterInfo {
  name: string;
  expression: string;
  parameters: FilterParameterInfo[];
}

/** The serving status of the gRPC health service (grpc.health.v1). */
export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** Options of one call. */
export interface CallOptions {
  /** Milliseconds the call may take, retries and backoff sleeps included (default: the client's). */
  deadlineMs?: number;
}

// -- conversions to the messages proto-loader serializes -------------------------------------

function filterValues(values: Record<string, FilterValuesInput> | undefined, field: string) {
  if (values === undefined) return undefined;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new TypeError(`${field}: expected an object of parameter name to values`);
  }
  const out: Record<string, { values: string[] }> = {};
  for (const [name, value] of Object.entries(values)) {
    const list = typeof value === 'string' ? [value]
      : Array.isArray(value) ? value : value?.values;
    if (!Array.isArray(list)) throw new TypeError(`${field}.${name}: expected a list of values`);
    out[name] = { values: list.map(String) };
  }
  return out;
}

/** The hrnn.v1.Filter message of a Filter. */
export function filterMessage(filter: Filter | undefined): object | undefined {
  if (filter === undefined) return undefined;
  return { ...filter, values: filterValues(filter.values, 'filter.values') };
}

/** The hrnn.v1.Promotion message of a Promotion. */
export function promotionMessage(promotion: Promotion | undefined): object | undefined {
  if (promotion === undefined) return undefined;
  return { ...promotion,
           filterValues: filterValues(promotion.filterValues, 'promotion.filterValues') };
}

/** Throws a TypeError unless `event` has string userId and itemId fields. */
export function checkEvent(event: Event, where: string): void {
  if (typeof event !== 'object' || event === null ||
      typeof event.userId !== 'string' || typeof event.itemId !== 'string') {
    throw new TypeError(`${where}: expected an Event with string userId and itemId`);
  }
}
