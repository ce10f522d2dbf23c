// The in-process transport: components running in the same process as the API server (the
// scheduler, controllers) send their requests straight to its request handler, skipping TLS
// and sockets but nothing else: authorization, admission, validation, storage and watches are the
// exact path HTTPS requests take. Request and response bodies still pass as bytes, so what a
// component sees is what a remote client would.

import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import type { ApiServer } from '../apiserver/server.js';
import type { UserInfo } from '../apiserver/authn.js';
import { defaultRetry, Transport, type OutgoingRequest, type RequestOptions, type RetryPolicy } from './transport.js';

/** The client-side response: a stream with the status and headers an IncomingMessage has. */
class InProcessIncoming extends PassThrough {
  statusCode = 0;
  headers: Record<string, string | string[] | undefined> = {};
  complete = false;
}

/** The server-side request: the body as a stream, plus method, url and headers. */
class InProcessRequest extends Readable {
  readonly socket = {};
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: Record<string, string>,
    body: Buffer | undefined,
  ) {
    super({ read() {} });
    if (body?.length) this.push(body);
    this.push(null);
  }
}

/** The server-side response: what the handlers write goes to the client-side stream. */
class InProcessResponse extends EventEmitter {
  headersSent = false;
  destroyed = false;

  constructor(
    private readonly incoming: InProcessIncoming,
    private readonly onHead: () => void,
  ) {
    super();
    incoming.on('drain', () => this.emit('drain'));
    incoming.on('close', () => this.destroy());
  }

  get writableLength(): number {
    return this.incoming.writableLength;
  }

  writeHead(code: number, headers: Record<string, string | number> = {}): this {
    if (this.headersSent) return this;
    this.incoming.statusCode = code;
    for (const [k, v] of Object.entries(headers)) this.incoming.headers[k.toLowerCase()] = String(v);
    this.headersSent = true;
    this.onHead();
    return this;
  }

  flushHeaders(): void {}

  write(chunk: string | Buffer): boolean {
    if (this.destroyed) return false;
    if (!this.headersSent) this.writeHead(200);
    return this.incoming.write(chunk);
  }

  end(chunk?: string | Buffer): this {
    if (this.destroyed) return this;
    if (!this.headersSent) this.writeHead(200);
    if (chunk !== undefined) this.incoming.write(chunk);
    this.incoming.complete = true;
    this.incoming.end();
    this.destroyed = true;
    this.emit('close');
    return this;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.incoming.destroy();
    this.emit('close');
  }
}

export class InProcessTransport extends Transport {
  constructor(
    private readonly api: ApiServer,
    private readonly user: UserInfo,
    retry: RetryPolicy = defaultRetry,
  ) {
    super({ server: 'https://in-process.invalid' }, retry);
  }

  protected override send(method: string, path: string, opts: RequestOptions, onResponse: (r: IncomingMessage) => void): OutgoingRequest {
    const u = new URL(path, 'https://in-process.invalid');
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    const incoming = new InProcessIncoming();
    const res = new InProcessResponse(incoming, () => onResponse(incoming as unknown as IncomingMessage));
    const errors = new EventEmitter();
    return {
      on: (event, listener) => errors.on(event, listener),
      destroy: () => res.destroy(),
      end: (body) => {
        const buf = body === undefined ? undefined : Buffer.from(body);
        const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
        if (buf) {
          headers['content-type'] = opts.contentType ?? 'application/json';
          headers['content-length'] = String(buf.length);
        }
        const req = new InProcessRequest(method, u.pathname + u.search, headers, buf);
        this.api.handleAs(req as unknown as IncomingMessage, res as unknown as ServerResponse, this.user);
      },
    };
  }
}
