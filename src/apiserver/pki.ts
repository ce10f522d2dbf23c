// The cluster's certificates: a CA, the API server's serving certificate and client certificates,
// all ECDSA P-256 (fast to generate, accepted by kubectl and Node's TLS).
//
// Files live under <dataDir>/tls as PEM. They are created on the first start and reused after,
// so kubeconfigs written earlier keep working; a serving certificate whose names no longer cover
// the bind address is re-issued from the same CA.

import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

const alg: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const tenYears = 10 * 365 * 24 * 3600 * 1000;

export interface KeyPairPem {
  cert: string;
  key: string;
}

export interface ClusterPki {
  ca: KeyPairPem;
  serving: KeyPairPem;
  admin: KeyPairPem;
  dir: string;
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error('no key in PEM');
  return crypto.subtle.importKey('pkcs8', der, alg, true, ['sign']);
}

function serial(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[0] = (b[0]! & 0x7f) | 0x01; // positive, non-zero leading byte
  return Buffer.from(b).toString('hex');
}

async function newCa(commonName: string): Promise<KeyPairPem> {
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + tenYears),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

export interface IssueOptions {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  server?: boolean;
  client?: boolean;
  validityMs?: number;
}

/** Issues a leaf certificate signed by the CA. */
export async function issue(ca: KeyPairPem, opts: IssueOptions): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const keys = (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const subject = [`CN=${escapeDn(opts.commonName)}`, ...(opts.organizations ?? []).map((o) => `O=${escapeDn(o)}`)].join(', ');
  const usages: string[] = [];
  if (opts.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (opts.client) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  const names = [...(opts.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(opts.ips ?? []).map((v) => ({ type: 'ip' as const, value: v }))];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + (opts.validityMs ?? tenYears)),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: alg,
    extensions,
  });
  return { cert: cert.toString('pem'), key: await exportKey(keys.privateKey) };
}

function escapeDn(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

function readPair(dir: string, name: string): KeyPairPem | undefined {
  const c = join(dir, `${name}.crt`);
  const k = join(dir, `${name}.key`);
  if (!existsSync(c) || !existsSync(k)) return undefined;
  return { cert: readFileSync(c, 'utf8'), key: readFileSync(k, 'utf8') };
}

function writePair(dir: string, name: string, p: KeyPairPem): void {
  writeFileSync(join(dir, `${name}.crt`), p.cert, { mode: 0o644 });
  writeFileSync(join(dir, `${name}.key`), p.key, { mode: 0o600 });
}

function coversNames(certPem: string, dnsNames: string[], ips: string[]): boolean {
  const cert = new x509.X509Certificate(certPem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!san) return false;
  const have = new Set(san.names.items.map((n) => `${n.type}:${n.value}`));
  return dnsNames.every((d) => have.has(`dns:${d}`)) && ips.every((i) => have.has(`ip:${i}`));
}

/** Loads the cluster's certificates from <dataDir>/tls, creating what is missing. */
export async function ensurePki(dataDir: string, serving: { dnsNames: string[]; ips: string[] }): Promise<ClusterPki> {
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = readPair(dir, 'server-ca');
  if (!ca) {
    ca = await newCa(`skiff-server-ca@${Math.floor(Date.now() / 1000)}`);
    writePair(dir, 'server-ca', ca);
  }
  let srv = readPair(dir, 'serving-kube-apiserver');
  if (!srv || !coversNames(srv.cert, serving.dnsNames, serving.ips)) {
    srv = await issue(ca, { commonName: 'kube-apiserver', dnsNames: serving.dnsNames, ips: serving.ips, server: true });
    writePair(dir, 'serving-kube-apiserver', srv);
  }
  let admin = readPair(dir, 'client-admin');
  if (!admin) {
    admin = await issue(ca, { commonName: 'system:admin', organizations: ['system:masters'], client: true });
    writePair(dir, 'client-admin', admin);
  }
  return { ca, serving: srv, admin, dir };
}
