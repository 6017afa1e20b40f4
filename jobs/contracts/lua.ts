import { readFileSync } from 'node:fs';

/**
 * Reads a Lua script that sits beside its module (`new URL('./x.lua', import.meta.url)`). Scripts live in
 * `.lua` files, as BullMQ keeps its own, so they are reviewed, linted and tested as scripts; the build copies
 * them next to the compiled modules (`npm run build`).
 */
export function luaScript(url: URL): string {
  return readFileSync(url, 'utf8');
}
