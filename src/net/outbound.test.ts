// The guard against real receivers on 127.0.0.1. Refusals of loopback forms are shown by a receiver
// that would have answered and saw no connection; refusals of other internal ranges are shown
// without connecting at all (checkHost, addresses), as tests connect only to loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { connect } from 'node:net';
import { request } from 'undici';
import { startFakeNixtla, type FakeNixtla } from '../../test/helpers/nixtla-server.js';
import { startHttpReceiver, type HttpReceiver } from '../../test/helpers/receivers.js';
import { createNixtlaBackend } from '../forecast/backends/nixtla-timegpt.js';
import { OutboundGuard, OutboundRefusedError, outboundRefusedCode } from './outbound.js';

/** A resolver with fixed answers: names that would rebind to internal addresses, without any DNS. */
function fakeDns(table: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve = async (host: string): Promise<LookupAddress[]> => {
    asked.push(host);
    const list = table[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

/** The innermost `code` of an error and its causes. */
function codeOf(e: unknown): string | undefined {
  let code: string | undefined;
  for (let x = e as { code?: unknown; cause?: unknown } | undefined; x && typeof x === 'object'; x = x.cause as typeof x) if (typeof x.code === 'string') code = x.code;
  return code;
}

async function post(url: string, guard: OutboundGuard): Promise<number> {
  const res = await request(url, { method: 'POST', body: '{}', dispatcher: guard.dispatcher });
  await res.body.dump();
  return res.statusCode;
}

describe('OutboundGuard.checkHost (literal hosts, nothing connected)', () => {
  const strict = new OutboundGuard();
  const refused: [string, RegExp][] = [
    ['http://127.0.0.1:5432/', /^127\.0\.0\.1 is a loopback address; outbound connections to internal addresses are refused \(OUTBOUND_ALLOWED_CIDRS opens chosen ranges\)$/],
    ['http://127.1/', /loopback/],
    ['http://2130706433/', /loopback/],
    ['http://0x7f.1/', /loopback/],
    ['http://017700000001/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://[::ffff:7f00:1]/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://[::]/', /unspecified/],
    ['http://0.0.0.0/', /unspecified/],
    ['https://169.254.169.254/latest/meta-data/', /link-local/],
    ['https://[fe80::1]/', /link-local/],
    ['https://[fd00::1]/', /unique-local/],
    ['https://100.64.0.1/', /carrier-grade NAT/],
    ['https://10.0.0.1/', /private/],
    ['https://172.16.5.4/', /private/],
    ['https://192.168.0.10/', /private/],
    ['https://224.0.0.1/', /multicast/],
    ['https://255.255.255.255/', /broadcast/],
    ['https://[64:ff9b::a00:1]/', /private/],
    ['https://[2002:7f00:1::]/', /loopback/],
    ['https://localhost/', /^localhost is a loopback address/],
    ['https://api.localhost/', /loopback/],
  ];
  for (const [url, message] of refused) {
    test(`refuses ${url}`, () => assert.match(strict.checkHost(new URL(url).hostname) ?? 'allowed', message));
  }

  test('leaves public addresses and names to connect time', () => {
    for (const host of ['8.8.8.8', '[2606:4700:4700::1111]', 'hooks.slack.com', 'events.pagerduty.com', 'internal.example']) assert.equal(strict.checkHost(host), null, host);
  });

  test('the allow list opens exactly its ranges, IPv4-mapped forms included', () => {
    const guard = new OutboundGuard({ allowedCidrs: ['127.0.0.0/8', '10.1.0.0/16'] });
    for (const host of ['127.0.0.1', '127.1', '2130706433', '[::ffff:127.0.0.1]', '10.1.2.3', 'localhost']) assert.equal(guard.checkHost(host), null, host);
    for (const host of ['[::1]', '10.2.0.1', '169.254.169.254', '[fd00::1]']) assert.notEqual(guard.checkHost(host), null, host);
    assert.deepEqual(guard.allowedCidrs, ['127.0.0.0/8', '10.1.0.0/16']);
  });

  test('an unreadable allow list is refused when the guard is built', () => {
    assert.throws(() => new OutboundGuard({ allowedCidrs: ['127.0.0.0/8', 'everything'] }), /cannot read "everything"/);
  });
});

describe('OutboundGuard.addresses (resolution, nothing connected)', () => {
  const dns = fakeDns({
    'rebind.example': ['10.0.0.5'],
    'metadata.example': ['169.254.169.254', 'fd00::5'],
    'mixed.example': ['93.184.216.34', '127.0.0.1', '2606:4700::1'],
    'public.example': ['93.184.216.34'],
  });
  const guard = new OutboundGuard({ resolve: dns.resolve });

  test('a name resolving only to internal addresses is refused, without naming them', async () => {
    for (const host of ['rebind.example', 'metadata.example']) {
      await assert.rejects(guard.addresses(host), (e: Error) => {
        assert.ok(e instanceof OutboundRefusedError);
        assert.equal((e as OutboundRefusedError).code, outboundRefusedCode);
        assert.match(e.message, new RegExp(`^${host.replace('.', '\\.')} resolves only to addresses that are not public`));
        assert.ok(!/10\.0\.0\.5|169\.254|fd00/.test(e.message), e.message);
        return true;
      });
    }
  });

  test('only the permitted addresses of a name are kept', async () => {
    assert.deepEqual(await guard.addresses('mixed.example'), [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:4700::1', family: 6 },
    ]);
    assert.deepEqual(await guard.addresses('public.example'), [{ address: '93.184.216.34', family: 4 }]);
  });

  test('literal hosts are judged without the resolver', async () => {
    dns.asked.length = 0;
    await assert.rejects(guard.addresses('169.254.169.254'), OutboundRefusedError);
    await assert.rejects(guard.addresses('0x7f.1'), /0x7f\.1 is a loopback address/);
    assert.deepEqual(await guard.addresses('8.8.8.8'), [{ address: '8.8.8.8', family: 4 }]);
    assert.deepEqual(dns.asked, []);
  });

  test('resolver errors pass through', async () => {
    await assert.rejects(guard.addresses('nowhere.example'), (e: NodeJS.ErrnoException) => e.code === 'ENOTFOUND');
  });
});

describe('OutboundGuard connections to a real receiver on 127.0.0.1', () => {
  let receiver: HttpReceiver;
  const dns = fakeDns({ 'rebind.example': ['127.0.0.1'], 'both.example': ['::1', '127.0.0.1'] });
  const strict = new OutboundGuard({ resolve: dns.resolve });
  const allowed = new OutboundGuard({ allowedCidrs: ['127.0.0.0/8'], resolve: dns.resolve });
  const systemStrict = new OutboundGuard();
  const systemAllowed = new OutboundGuard({ allowedCidrs: ['127.0.0.0/8'] });
  before(async () => {
    receiver = await startHttpReceiver();
  });
  after(async () => {
    await Promise.all([strict.close(), allowed.close(), systemStrict.close(), systemAllowed.close()]);
    await receiver.close();
  });

  const spellings = (port: number) => [`127.0.0.1:${port}`, `127.1:${port}`, `2130706433:${port}`, `0x7f.1:${port}`, `017700000001:${port}`, `[::ffff:127.0.0.1]:${port}`, `[::ffff:7f00:1]:${port}`];

  test('every spelling of the receiver\'s address is refused before connecting without the allow list', async () => {
    for (const hostPort of spellings(receiver.port)) {
      await assert.rejects(post(`http://${hostPort}/`, strict), (e: unknown) => codeOf(e) === outboundRefusedCode, hostPort);
    }
    assert.equal(receiver.connections, 0);
    assert.equal(receiver.received.length, 0);
  });

  test('and reaches it with 127.0.0.0/8 allowed', async () => {
    receiver.reset();
    for (const hostPort of spellings(receiver.port)) assert.equal(await post(`http://${hostPort}/`, allowed), 200, hostPort);
    assert.equal(receiver.received.length, spellings(receiver.port).length);
  });

  test('a name is checked on the address it resolves to when connecting (DNS rebinding)', async () => {
    receiver.reset();
    await assert.rejects(post(`http://rebind.example:${receiver.port}/`, strict), (e: unknown) => codeOf(e) === outboundRefusedCode);
    assert.equal(receiver.connections, 0);
    // The same name with loopback allowed: the connection goes to the address the guard checked.
    assert.equal(await post(`http://rebind.example:${receiver.port}/`, allowed), 200);
    assert.equal(receiver.received[0]!.headers.host, `rebind.example:${receiver.port}`);
  });

  test('of several addresses only the permitted ones are tried', async () => {
    receiver.reset();
    // ::1 is outside 127.0.0.0/8: were it tried first, nothing listens there; 127.0.0.1 answers.
    assert.equal(await post(`http://both.example:${receiver.port}/`, allowed), 200);
    assert.equal(receiver.received.length, 1);
  });

  test('localhost through the system resolver is refused, or reaches the receiver when allowed', async () => {
    receiver.reset();
    await assert.rejects(post(`http://localhost:${receiver.port}/`, systemStrict), (e: unknown) => codeOf(e) === outboundRefusedCode);
    assert.equal(receiver.connections, 0);
    assert.equal(await post(`http://localhost:${receiver.port}/`, systemAllowed), 200);
  });

  test('fetch through the guard: refused, then allowed', async () => {
    receiver.reset();
    await assert.rejects(strict.fetch(`${receiver.url}/f`), (e: unknown) => codeOf(e) === outboundRefusedCode);
    assert.equal(receiver.connections, 0);
    const res = await allowed.fetch(`${receiver.url}/f`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
  });

  test('lookup serves net.connect: a refused name never connects', async () => {
    receiver.reset();
    const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const socket = connect({ host: 'rebind.example', port: receiver.port, lookup: strict.lookup });
      socket.on('connect', () => reject(new Error('connected')));
      socket.on('error', resolve);
    });
    assert.equal(err.code, outboundRefusedCode);
    assert.equal(receiver.connections, 0);
  });
});

describe('an outside-API client through guard.fetch: Nixtla, as the server wires it', () => {
  const key = 'nixtla-SECRET-0123456789abcdef';
  let server: FakeNixtla;
  before(async () => {
    server = await startFakeNixtla(key);
  });
  after(() => server.close());
  const request = { values: Float64Array.from({ length: 72 }, (_, t) => 100 + 10 * Math.sin((2 * Math.PI * t) / 24)), start: Date.UTC(2024, 0, 1), frequency: '1h' as const, horizon: 12, levels: [80] };

  test('a base URL on loopback is refused without the allow list, and works with it', async () => {
    const strict = new OutboundGuard();
    const allowed = new OutboundGuard({ allowedCidrs: ['127.0.0.0/8'] });
    try {
      const refused = createNixtlaBackend({ apiKey: key, baseUrl: server.url, fetch: strict.fetch, maxRetries: 0 });
      await assert.rejects(refused.forecast(request), /ERR_OUTBOUND_REFUSED/);
      assert.equal(server.calls.length, 0);
      const result = await createNixtlaBackend({ apiKey: key, baseUrl: server.url, fetch: allowed.fetch }).forecast(request);
      assert.equal(result.mean.length, 12);
      assert.equal(server.calls.length, 1);
    } finally {
      await Promise.all([strict.close(), allowed.close()]);
    }
  });
});
