/**
 * The part of `ws` (the WebSocket server Node projects use; 8.x, in the lock file) the Socket Mode double
 * uses. `ws` ships no types and @types/ws is not installed: this declares only what socket-mode.ts calls.
 */
declare module 'ws' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage, Server } from 'node:http';

  export class WebSocket extends EventEmitter {
    static readonly OPEN: 1;
    readonly readyState: 0 | 1 | 2 | 3;
    send(data: string, cb?: (err?: Error) => void): void;
    close(code?: number, reason?: string): void;
    /** Destroys the socket at once: no close frame (a dropped connection). */
    terminate(): void;
    on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export class WebSocketServer extends EventEmitter {
    constructor(opts: { server: Server; path?: string });
    readonly clients: Set<WebSocket>;
    on(event: 'connection', listener: (socket: WebSocket, req: IncomingMessage) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
    close(cb?: (err?: Error) => void): void;
  }
}
