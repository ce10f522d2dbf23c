// The main thread's HTTPS client for setup requests, timed lists and the watch writer.
// Bodies can be discarded while counting their bytes, so timing a 30 MB list measures the
// server and the transfer, not string building in the benchmark.

import https from 'node:https';
import type { Tls } from './server.js';

export interface Response {
  status: number;
  bytes: number;
  /** The body, unless the request asked to discard it. */
  body: string;
  ms: number;
  /** Time until the first body byte arrived (the server's work before it started sending). */
  firstByteMs: number;
}

export class Client {
  private readonly agent: https.Agent;
  private readonly base: URL;

  constructor(url: string, tls: Tls, maxSockets = Infinity) {
    this.base = new URL(url);
    this.agent = new https.Agent({ ...tls, keepAlive: true, maxSockets });
  }

  request(method: string, path: string, opts: { body?: string; accept?: string; discard?: boolean } = {}): Promise<Response> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { Accept: opts.accept ?? 'application/json' };
      if (opts.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = Buffer.byteLength(opts.body);
      }
      const t0 = performance.now();
      const req = https.request({ host: this.base.hostname, port: this.base.port, path, method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        let firstByteMs = 0;
        res.on('data', (c: Buffer) => {
          if (bytes === 0) firstByteMs = performance.now() - t0;
          bytes += c.length;
          if (!opts.discard) chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, body: opts.discard ? '' : Buffer.concat(chunks).toString(), ms: performance.now() - t0, firstByteMs }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(opts.body);
    });
  }

  /** A request that must answer `expect` (or one of them); anything else throws with the body. */
  async must(method: string, path: string, expect: number | number[], body?: unknown): Promise<Response> {
    const res = await this.request(method, path, body === undefined ? {} : { body: JSON.stringify(body) });
    const ok = Array.isArray(expect) ? expect.includes(res.status) : res.status === expect;
    if (!ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.body.slice(0, 500)}`);
    return res;
  }

  async ensureNamespace(name: string): Promise<void> {
    await this.must('POST', '/api/v1/namespaces', [201, 409], { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** Opens `n` keep-alive connections now, so that a measurement does not pay TLS handshakes. */
  async warm(n: number): Promise<void> {
    await Promise.all(Array.from({ length: n }, () => this.request('GET', '/version', { discard: true })));
  }

  close(): void {
    this.agent.destroy();
  }
}
