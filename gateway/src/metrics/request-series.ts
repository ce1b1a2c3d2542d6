/**
 * The request metrics (`gateway_http_requests_total`, `gateway_http_request_duration_seconds`)
 * recorded without prom-client's per-request label work.
 *
 * prom-client validates and hashes the label object on every `inc`/`observe` (its `labels()`
 * children only bind the object, they hash it again on every call). Here each label set is a slot
 * made once and found by plain map lookups (route, then partner, then status); a request adds one
 * to a number and one to a bucket. Slots are folded into the prom-client metrics when they are
 * read (their `collect` hook, run by every scrape), so `/metrics` shows exactly what direct calls
 * would have produced.
 *
 * Every key is bounded: routes are matched patterns, partners come from verified tokens, statuses
 * and methods from the HTTP layer; still, past `MAX_SLOTS` label sets a request is recorded
 * directly on the prom-client metrics instead of in a new slot.
 */
import type client from 'prom-client';
import { LATENCY_BUCKETS, type GatewayMetrics } from './registry.js';

const MAX_SLOTS = 10_000;

interface CountSlot {
  labels: { method: string; route: string; partner: string; status: string };
  pending: number;
}

interface DurationSlot {
  labels: { method: string; route: string; status_class: string };
  /** Observations per bucket since the last fold; the last cell is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
  /** The histogram entry found at the last fold, and the map it was found in (`reset()` replaces the map). */
  entry?: HistogramEntry;
  map?: Record<string, HistogramEntry>;
}

/** The prom-client 15 histogram entry a fold adds to (`hashMap` values). */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

const STATUS_CLASS = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** One route's slots for one method. */
export class RouteSeries {
  private readonly counts = new Map<string, CountSlot[]>();
  private readonly durations: DurationSlot[] = [];

  constructor(
    private readonly owner: RequestSeries,
    readonly method: string,
    readonly route: string,
  ) {}

  /** Records one finished request. */
  record(partner: string, status: number, seconds: number): void {
    const owner = this.owner;
    let byStatus = this.counts.get(partner);
    if (!byStatus) {
      if (owner.slots >= MAX_SLOTS) return owner.direct(this.method, this.route, partner, status, seconds);
      this.counts.set(partner, (byStatus = []));
    }
    let count = byStatus[status];
    if (!count) {
      if (owner.slots >= MAX_SLOTS) return owner.direct(this.method, this.route, partner, status, seconds);
      count = byStatus[status] = { labels: { method: this.method, route: this.route, partner, status: String(status) }, pending: 0 };
      owner.countSlots.push(count);
      owner.slots++;
    }
    count.pending++;

    const cls = (status / 100) | 0;
    let duration = this.durations[cls];
    if (!duration) {
      duration = this.durations[cls] = {
        labels: { method: this.method, route: this.route, status_class: STATUS_CLASS[cls] ?? `${cls}xx` },
        buckets: new Array<number>(owner.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      owner.durationSlots.push(duration);
      owner.slots++;
    }
    const bounds = owner.bounds;
    let b = 0;
    while (b < bounds.length && seconds > bounds[b]!) b++;
    duration.buckets[b]!++;
    duration.sum += seconds;
    duration.count++;
  }
}

export class RequestSeries {
  readonly countSlots: CountSlot[] = [];
  readonly durationSlots: DurationSlot[] = [];
  slots = 0;
  readonly bounds: readonly number[];
  private readonly routes = new Map<string, RouteSeries>();

  constructor(
    private readonly requests: client.Counter<'method' | 'route' | 'partner' | 'status'>,
    private readonly duration: client.Histogram<'method' | 'route' | 'status_class'>,
    buckets: readonly number[],
  ) {
    this.bounds = [...buckets].sort((a, b) => a - b);
    chainCollect(requests, () => this.foldCounts());
    chainCollect(duration, () => this.foldDurations());
  }

  /** The series of one method and route (made once; hold on to it on a hot path). */
  route(method: string, route: string): RouteSeries {
    const key = `${method} ${route}`;
    let series = this.routes.get(key);
    if (!series) {
      if (this.routes.size >= MAX_SLOTS) return new RouteSeries(this, method, route);
      this.routes.set(key, (series = new RouteSeries(this, method, route)));
    }
    return series;
  }

  /** Past the slot bound: straight onto the prom-client metrics. */
  direct(method: string, route: string, partner: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, partner, status: String(status) });
    this.duration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
  }

  private foldCounts(): void {
    for (const slot of this.countSlots) {
      if (slot.pending === 0) continue;
      this.requests.inc(slot.labels, slot.pending);
      slot.pending = 0;
    }
  }

  private foldDurations(): void {
    const h = this.duration as unknown as { hashMap: Record<string, HistogramEntry> };
    for (const slot of this.durationSlots) {
      if (slot.count === 0) continue;
      const map = h.hashMap;
      let entry = slot.map === map ? slot.entry : undefined;
      if (!entry) {
        entry = findEntry(map, slot.labels);
        if (!entry) {
          this.duration.zero(slot.labels);
          entry = findEntry(map, slot.labels);
        }
        if (!entry) throw new Error('request metrics: the histogram has no entry for a label set after zero() (prom-client changed?)');
        slot.entry = entry;
        slot.map = map;
      }
      // prom-client keeps per-bucket counts (not cumulative) keyed by upper bound; +Inf is the count.
      for (let i = 0; i < this.bounds.length; i++) entry.bucketValues[this.bounds[i]!]! += slot.buckets[i]!;
      entry.sum += slot.sum;
      entry.count += slot.count;
      slot.buckets.fill(0);
      slot.sum = 0;
      slot.count = 0;
    }
  }
}

function findEntry(map: Record<string, HistogramEntry>, labels: Record<string, string>): HistogramEntry | undefined {
  for (const key in map) {
    const e = map[key]!;
    let same = true;
    for (const k in labels) if (e.labels[k] !== labels[k]) same = false;
    if (same && Object.keys(e.labels).length === Object.keys(labels).length) return e;
  }
  return undefined;
}

/** Runs `fold` before the metric's own `collect` (if any) whenever it is read. */
function chainCollect(metric: object, fold: () => void): void {
  const m = metric as { collect?: () => unknown };
  const own = m.collect;
  m.collect = function collect(this: unknown) {
    fold();
    return own?.call(this);
  };
}

const seriesOf = new WeakMap<GatewayMetrics, RequestSeries>();

/** The request series of a gateway's metrics (one per registry: the middleware and the fast lane share it). */
export function requestSeries(metrics: GatewayMetrics): RequestSeries {
  let series = seriesOf.get(metrics);
  if (!series) seriesOf.set(metrics, (series = new RequestSeries(metrics.httpRequests, metrics.httpDuration, LATENCY_BUCKETS)));
  return series;
}
