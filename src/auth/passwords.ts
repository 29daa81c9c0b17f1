// Password hashing: scrypt (memory-hard, in node:crypto, no native add-on). The stored string names its
// parameters, `scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64 without padding), so a later change of cost
// verifies old hashes with their own parameters and rehashes them at the next sign-in.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Block size and parallelism: the values RFC 7914 and OWASP use; only the cost (log2 N) is a setting. */
const blockSize = 8;
const parallelism = 1;
const saltBytes = 16;
const keyBytes = 32;
/** Stored hashes with a cost outside this range are refused unread (a tampered row must not allocate gigabytes). */
const minLogN = 10;
const maxLogN = 22;

/**
 * At most this many hashes run at once. Each takes 128·N·r bytes (128 MiB at ln=17) and one of libuv's
 * 4 threads, which file and DNS work share: a burst of sign-ins waits here rather than exhausting
 * memory or stalling the thread pool.
 */
const maxConcurrent = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= maxConcurrent) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

interface Params {
  logN: number;
  r: number;
  p: number;
}

/** scrypt needs 128·r·(N + p + 2) bytes; Node refuses above `maxmem` (default 32 MiB, too little at ln=17). */
function options({ logN, r, p }: Params): ScryptOptions {
  const n = 2 ** logN;
  return { N: n, r, p, maxmem: 128 * r * (n + p + 2) + 1024 * 1024 };
}

/** Passwords are hashed as NFKC (NIST SP 800-63B): the same password typed on two keyboards is one password. */
function normalise(password: string): string {
  return password.normalize('NFKC');
}

function derive(password: string, salt: Buffer, params: Params, length: number): Promise<Buffer> {
  // The callback form runs on libuv's thread pool: the event loop stays free during the hash.
  return withSlot(() => new Promise((resolve, reject) => scrypt(normalise(password), salt, length, options(params), (err, key) => (err ? reject(err) : resolve(key)))));
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/** Hashes `password` at cost 2^logN (`PASSWORD_SCRYPT_LOG_N`, default 17: ~0.3 s and 128 MiB). */
export async function hashPassword(password: string, logN: number): Promise<string> {
  if (!Number.isInteger(logN) || logN < minLogN || logN > maxLogN) throw new RangeError(`scrypt cost log2 N must be a whole number from ${minLogN} to ${maxLogN}, got ${logN}`);
  const params = { logN, r: blockSize, p: parallelism };
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, params, keyBytes);
  return `scrypt$ln=${logN},r=${blockSize},p=${parallelism}$${b64(salt)}$${b64(key)}`;
}

const hashPattern = /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,88})\$([A-Za-z0-9+/]{16,88})$/;

/** The parameters, salt and key of a stored hash; undefined when it is not one this module writes. */
export function parseHash(stored: string): (Params & { salt: Buffer; key: Buffer }) | undefined {
  const m = hashPattern.exec(stored);
  if (!m) return undefined;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (logN < minLogN || logN > maxLogN || r < 1 || r > 16 || p < 1 || p > 4) return undefined;
  return { logN, r, p, salt: Buffer.from(m[4]!, 'base64'), key: Buffer.from(m[5]!, 'base64') };
}

export interface Verification {
  ok: boolean;
  /** The hash was made with other parameters than `logN` now asks for: store a new one (only when ok). */
  needsRehash: boolean;
}

/** Checks `password` against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword(password: string, stored: string, logN: number): Promise<Verification> {
  const parsed = parseHash(stored);
  if (!parsed) return { ok: false, needsRehash: false };
  const key = await derive(password, parsed.salt, parsed, parsed.key.length);
  const ok = key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  return { ok, needsRehash: ok && (parsed.logN !== logN || parsed.r !== blockSize || parsed.p !== parallelism) };
}

const dummies = new Map<number, Promise<string>>();

/**
 * A hash of a random password at cost `logN`, made once per process: a sign-in with an unknown email
 * (or an account without a password) verifies against it, so it costs what a real one does.
 */
export function dummyHash(logN: number): Promise<string> {
  let h = dummies.get(logN);
  if (!h) {
    h = hashPassword(randomBytes(18).toString('base64'), logN);
    dummies.set(logN, h);
    h.catch(() => dummies.delete(logN)); // retried on the next call
  }
  return h;
}
