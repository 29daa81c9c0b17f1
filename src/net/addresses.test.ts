import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ipaddr from 'ipaddr.js';
import { internalRange, literalAddress, parseCidrList } from './addresses.js';

describe('literalAddress reads every spelling as WHATWG URL does', () => {
  const cases: [string, string | null][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['::ffff:7f00:1', '::ffff:7f00:1'],
    ['[::]', '::'],
    ['[fd00::1]', 'fd00::1'],
    ['example.com', null],
    ['localhost', null],
    ['hooks.slack.com', null],
    ['not a host', null],
    ['[::zz]', null],
  ];
  for (const [host, expected] of cases) test(`${host} → ${expected}`, () => assert.equal(literalAddress(host)?.toString() ?? null, expected));

  test('agrees with the URL parser on URL hosts', () => {
    for (const url of ['http://127.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://017700000001/', 'http://[::ffff:127.0.0.1]/']) {
      const a = literalAddress(new URL(url).hostname)!;
      assert.equal(internalRange(a), 'loopback', url);
    }
  });
});

describe('internalRange', () => {
  const refused: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fd00::1', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'teredo'],
    ['64:ff9b:1::a00:1', 'rfc6052'], // local-use NAT64 prefix: refused whatever it carries
    ['100::1', 'discard'],
    // IPv4 inside IPv6 is judged as the IPv4 address it reaches.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'linkLocal'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'linkLocal'],
    ['2002:c0a8:101::', 'private'],
    // The rest of ::/8, such as the deprecated IPv4-compatible form.
    ['::7f00:1', 'reserved'],
    ['::a00:1', 'reserved'],
  ];
  for (const [addr, range] of refused) test(`${addr} is ${range}`, () => assert.equal(internalRange(ipaddr.parse(addr)), range));

  const publicOnes = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::1', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'];
  for (const addr of publicOnes) test(`${addr} is public`, () => assert.equal(internalRange(ipaddr.parse(addr)), null));
});

describe('parseCidrList', () => {
  test('normalises ranges; a bare address is one host; blanks are skipped', () => {
    assert.deepEqual(parseCidrList(' 127.0.0.0/8 , ::1/128,10.1.2.3,, fd00:0::/8 '), ['127.0.0.0/8', '::1/128', '10.1.2.3/32', 'fd00::/8']);
    assert.deepEqual(parseCidrList(''), []);
  });

  test('names every entry it cannot read', () => {
    assert.throws(
      () => parseCidrList('127.0.0.0/8,127.1/8,10.0.0.0/33,nope,::1/129,10.0.0.0/8/1,1.2.3.4/x'),
      (e: Error) => {
        assert.match(e.message, /^must be comma-separated CIDR ranges such as 127\.0\.0\.0\/8,fd00::\/8; cannot read /);
        for (const bad of ['127.1/8', '10.0.0.0/33', 'nope', '::1/129', '10.0.0.0/8/1', '1.2.3.4/x']) assert.ok(e.message.includes(JSON.stringify(bad)), `${bad} in ${e.message}`);
        assert.ok(!e.message.includes('"127.0.0.0/8"'));
        return true;
      },
    );
  });
});
