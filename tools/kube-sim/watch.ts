/**
 * Watch (`GET …?watch=true`), as the API server streams it: one JSON
 * WatchEvent per line (`{"type":"ADDED|MODIFIED|DELETED|ERROR","object":…}`),
 * filtered by namespace, field and label selectors (an object that stops
 * matching is sent as DELETED, as the watch cache does). Without a
 * `resourceVersion` (or with "0") the current objects come first as ADDED;
 * with one, the events after it are replayed from a bounded history, and a
 * version older than the history is an ERROR event with the 410 Gone "too old
 * resource version" Status. Pods asked for as a Table (`kubectl get -w`) get
 * one-row Tables. The stream ends after `timeoutSeconds` (default 1800).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceInfo } from './resources.js';
import {
  checkFieldsSupported,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from './selectors.js';
import { badRequest, failure, type StatusBody } from './status.js';
import type { KubeObject, ObjectStore } from './store.js';
import { podTable, wantsTable } from './table.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface Change {
  type: EventType;
  r: ResourceInfo;
  obj: KubeObject;
  /** The object's state before this change (undefined for ADDED), to tell when it stops matching. */
  before?: KubeObject;
  rv: number;
}

const HISTORY = 2000;

/** Keeps the recent changes of a store, and serves watches from them. */
export class WatchHub {
  private readonly history: Change[] = [];
  private readonly last = new Map<string, KubeObject>();
  private readonly subscribers = new Set<(c: Change) => void>();

  constructor(store: ObjectStore) {
    store.onChange((type, r, obj) => {
      const key = `${r.group}/${r.plural}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      const before = this.last.get(key);
      if (type === 'DELETED') this.last.delete(key);
      else this.last.set(key, obj);
      const c: Change = {
        type,
        r,
        obj,
        ...(before ? { before } : {}),
        rv: Number(obj.metadata.resourceVersion),
      };
      this.history.push(c);
      if (this.history.length > HISTORY) this.history.shift();
      for (const fn of this.subscribers) fn(c);
    });
  }

  /** The oldest resourceVersion a watch may resume from. */
  private oldest(): number {
    return this.history.length > 0 ? this.history[0]!.rv - 1 : Number.POSITIVE_INFINITY;
  }

  /**
   * Serves one watch request on `res` until the timeout, the client leaving or the server closing.
   * Returns a Status instead when the request is refused before streaming (bad selectors).
   */
  serve(
    store: ObjectStore,
    r: ResourceInfo,
    namespace: string | undefined,
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): StatusBody | undefined {
    let fields: ReturnType<typeof parseFieldSelector>;
    let labels: ReturnType<typeof parseLabelSelector>;
    try {
      fields = parseFieldSelector(query.get('fieldSelector') ?? '');
      checkFieldsSupported(r.plural, r.group, fields);
      labels = parseLabelSelector(query.get('labelSelector') ?? '');
    } catch (err) {
      if (err instanceof SelectorError) return badRequest(err.message);
      throw err;
    }
    const matches = (o: KubeObject | undefined) =>
      !!o &&
      (namespace === undefined || o.metadata.namespace === namespace) &&
      matchesFields(o, fields) &&
      matchesLabels(o.metadata.labels, labels);
    const table = r.group === '' && r.plural === 'pods' && wantsTable(req.headers.accept);
    const render = (o: KubeObject): unknown =>
      table ? podTable([o], Date.now(), 'Object', { resourceVersion: o.metadata.resourceVersion }) : o;

    res.writeHead(200, {
      'Content-Type': table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    // Clients wait for the headers before the first event, which may be long in coming.
    res.flushHeaders();
    const write = (type: string, object: unknown) => {
      if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const deliver = (c: Change) => {
      if (c.r !== r) return;
      const now = c.type !== 'DELETED' && matches(c.obj);
      const was = matches(c.before);
      if (c.type === 'DELETED') {
        if (was || matches(c.obj)) write('DELETED', render(c.obj));
      } else if (now) write(was ? 'MODIFIED' : 'ADDED', render(c.obj));
      else if (was) write('DELETED', render(c.obj));
    };

    const rvParam = query.get('resourceVersion') ?? '';
    if (rvParam === '' || rvParam === '0') {
      for (const o of store.list(r, namespace)) if (matches(o)) write('ADDED', render(o));
    } else {
      const from = Number(rvParam);
      if (!Number.isInteger(from) || from < 0) {
        write('ERROR', badRequest(`invalid resource version "${rvParam}"`));
        res.end();
        return undefined;
      }
      if (from < this.oldest() && from < Number(store.currentResourceVersion())) {
        write('ERROR', failure(410, `too old resource version: ${from} (${this.oldest()})`, 'Expired'));
        res.end();
        return undefined;
      }
      for (const c of this.history) if (c.rv > from) deliver(c);
    }
    this.subscribers.add(deliver);
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '1800');
    const timer = setTimeout(
      () => res.end(),
      (Number.isFinite(timeoutSeconds) ? timeoutSeconds : 1800) * 1000,
    );
    const stop = () => {
      clearTimeout(timer);
      this.subscribers.delete(deliver);
    };
    res.on('close', stop);
    res.on('finish', stop);
    return undefined;
  }
}
