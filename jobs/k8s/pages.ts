/**
 * Paging through a list with `continue`, up to a stated bound. Each page
 * after the first depends on the one before. Pure but for the fetch it is given.
 */
import type { ListPage, PageQuery } from './client.js';

/** Items per page (kubectl's chunk size). */
export const PAGE_SIZE = 500;

/** Where a bounded list stopped: the last item read (name order) and how many followed, when the server said. */
export interface ListCut {
  read: number;
  after: string;
  remaining?: number;
}

/**
 * Pages through a list: `each` gets every page in turn; stops after
 * `maxPages` pages and says where. `fromCache` asks the first page from the
 * watch cache (resourceVersion=0; the server may answer whole).
 */
export async function pageThrough<T>(
  fetch: (q: PageQuery) => Promise<ListPage<T>>,
  each: (items: T[]) => void,
  o: { maxPages: number; fromCache?: boolean; nameOf: (t: T) => string },
): Promise<{ read: number; pages: number; cut?: ListCut }> {
  let read = 0;
  let next: string | undefined;
  for (let pages = 1; ; pages++) {
    const page = await fetch({
      limit: PAGE_SIZE,
      ...(next ? { continue: next } : o.fromCache ? { fromCache: true } : {}),
    });
    read += page.items.length;
    const last = page.items[page.items.length - 1];
    each(page.items);
    next = page.continue;
    if (!next) return { read, pages };
    if (pages >= o.maxPages) {
      return {
        read,
        pages,
        cut: {
          read,
          after: last ? o.nameOf(last) : '',
          ...(page.remainingItemCount !== undefined ? { remaining: page.remainingItemCount } : {}),
        },
      };
    }
  }
}
