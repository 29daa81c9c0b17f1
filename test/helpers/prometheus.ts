/**
 * Prometheus for the tests: remote-write bodies encoded with protobufjs and snappyjs from the specs'
 * message definitions (independent of the server's hand decoder), and a real Prometheus process
 * (Debian's /usr/bin/prometheus) run on a config the test writes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import { freePort, startDaemon, type Daemon } from './daemon.js';

const v1Root = protobuf.parse(
  `syntax = "proto3";
   package prometheus;
   message WriteRequest { repeated TimeSeries timeseries = 1; }
   message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; }
   message Label { string name = 1; string value = 2; }
   message Sample { double value = 1; int64 timestamp = 2; }
   message Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }`,
  { keepCase: true },
).root;
const v2Root = protobuf.parse(
  `syntax = "proto3";
   package io.prometheus.write.v2;
   message Request { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
   message TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; }
   message Sample { double value = 1; int64 timestamp = 2; }`,
  { keepCase: true },
).root;
const WriteRequest = v1Root.lookupType('prometheus.WriteRequest');
const RequestV2 = v2Root.lookupType('io.prometheus.write.v2.Request');

/** A series as tests write it: labels (with `__name__`) and [value, epoch ms] samples. */
export interface TestSeries {
  labels: Record<string, string>;
  samples: [number, number][];
  exemplars?: number;
}

/** The 1.0 protobuf (not compressed). */
export function writeRequestV1(series: TestSeries[]): Buffer {
  const timeseries = series.map((s) => ({
    labels: Object.entries(s.labels).map(([name, value]) => ({ name, value })),
    samples: s.samples.map(([value, timestamp]) => ({ value, timestamp })),
    exemplars: Array.from({ length: s.exemplars ?? 0 }, (_, i) => ({ labels: [{ name: 'trace_id', value: `t${i}` }], value: 1, timestamp: s.samples[0]?.[1] ?? 0 })),
  }));
  return Buffer.from(WriteRequest.encode(WriteRequest.fromObject({ timeseries })).finish());
}

/** The 2.0 protobuf (not compressed): a symbols table starting with "" and labels_refs into it. */
export function writeRequestV2(series: TestSeries[]): Buffer {
  const symbols = [''];
  const ref = (s: string) => {
    let i = symbols.indexOf(s);
    if (i < 0) i = symbols.push(s) - 1;
    return i;
  };
  const timeseries = series.map((s) => ({
    labels_refs: Object.entries(s.labels).flatMap(([n, v]) => [ref(n), ref(v)]),
    samples: s.samples.map(([value, timestamp]) => ({ value, timestamp })),
  }));
  return Buffer.from(RequestV2.encode(RequestV2.fromObject({ symbols, timeseries })).finish());
}

export function snappyBlock(raw: Uint8Array): Buffer {
  return Buffer.from(snappy.compress(raw));
}

/** Replaces each little-endian occurrence of the double `stand-in` by `bits` (a NaN payload survives no JS number). */
export function patchDouble(buf: Buffer, standIn: number, bits: bigint): Buffer {
  const from = Buffer.alloc(8);
  from.writeDoubleLE(standIn);
  const to = Buffer.alloc(8);
  to.writeBigUInt64LE(bits);
  const out = Buffer.from(buf);
  for (let i = out.indexOf(from); i >= 0; i = out.indexOf(from, i + 8)) to.copy(out, i);
  return out;
}

/** Prometheus' staleness marker. */
export const staleMarkerBits = 0x7ff0000000000002n;

export const prometheusBinary = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export { freePort };

export interface RunningPrometheus extends Daemon {
  dir: string;
}

/**
 * Starts Prometheus on `config` (YAML text) with its TSDB in a fresh temp dir, its web UI on a free
 * loopback port. Prometheus starts no daemon: stop() kills this child and removes the dir.
 */
export async function startPrometheus(config: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'iv-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const args = (port: number) => [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=debug'];
  return { ...(await startDaemon(prometheusBinary, args, { dir })), dir };
}
