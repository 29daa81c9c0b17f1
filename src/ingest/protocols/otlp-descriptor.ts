/**
 * The OTLP metrics messages as a protobufjs reflection descriptor, written from opentelemetry-proto
 * (collector/metrics/v1/metrics_service.proto, metrics/v1/metrics.proto, common/v1/common.proto,
 * resource/v1/resource.proto) plus google.rpc.Status, google.protobuf.Any and google.rpc.ErrorInfo for
 * error replies. Field names are the protobuf JSON names (lowerCamelCase), so a decoded message and
 * an OTLP/JSON body have the same shape.
 *
 * Left out on purpose (the wire decoder skips unknown fields): exemplars, `metadata`, `entity_refs`,
 * descriptions, units and schema URLs — none of them becomes part of a stored point.
 */
const keyValues = { rule: 'repeated', type: 'opentelemetry.proto.common.v1.KeyValue' } as const;
const optionalDouble = (id: number) => ({ type: 'double', id, options: { proto3_optional: true } });

export const otlpDescriptor = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: {
              nested: {
                v1: {
                  nested: {
                    AnyValue: {
                      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
                      fields: {
                        stringValue: { type: 'string', id: 1 },
                        boolValue: { type: 'bool', id: 2 },
                        intValue: { type: 'int64', id: 3 },
                        doubleValue: { type: 'double', id: 4 },
                        arrayValue: { type: 'ArrayValue', id: 5 },
                        kvlistValue: { type: 'KeyValueList', id: 6 },
                        bytesValue: { type: 'bytes', id: 7 },
                      },
                    },
                    ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
                    KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
                    KeyValue: { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } },
                    InstrumentationScope: {
                      fields: {
                        name: { type: 'string', id: 1 },
                        version: { type: 'string', id: 2 },
                        attributes: { ...keyValues, id: 3 },
                        droppedAttributesCount: { type: 'uint32', id: 4 },
                      },
                    },
                  },
                },
              },
            },
            resource: {
              nested: {
                v1: {
                  nested: {
                    Resource: { fields: { attributes: { ...keyValues, id: 1 }, droppedAttributesCount: { type: 'uint32', id: 2 } } },
                  },
                },
              },
            },
            metrics: {
              nested: {
                v1: {
                  nested: {
                    ResourceMetrics: {
                      fields: {
                        resource: { type: 'opentelemetry.proto.resource.v1.Resource', id: 1 },
                        scopeMetrics: { rule: 'repeated', type: 'ScopeMetrics', id: 2 },
                      },
                    },
                    ScopeMetrics: {
                      fields: {
                        scope: { type: 'opentelemetry.proto.common.v1.InstrumentationScope', id: 1 },
                        metrics: { rule: 'repeated', type: 'Metric', id: 2 },
                      },
                    },
                    Metric: {
                      oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
                      fields: {
                        name: { type: 'string', id: 1 },
                        gauge: { type: 'Gauge', id: 5 },
                        sum: { type: 'Sum', id: 7 },
                        histogram: { type: 'Histogram', id: 9 },
                        exponentialHistogram: { type: 'ExponentialHistogram', id: 10 },
                        summary: { type: 'Summary', id: 11 },
                      },
                    },
                    Gauge: { fields: { dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 } } },
                    Sum: {
                      fields: {
                        dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 },
                        aggregationTemporality: { type: 'AggregationTemporality', id: 2 },
                        isMonotonic: { type: 'bool', id: 3 },
                      },
                    },
                    Histogram: {
                      fields: {
                        dataPoints: { rule: 'repeated', type: 'HistogramDataPoint', id: 1 },
                        aggregationTemporality: { type: 'AggregationTemporality', id: 2 },
                      },
                    },
                    ExponentialHistogram: {
                      fields: {
                        dataPoints: { rule: 'repeated', type: 'ExponentialHistogramDataPoint', id: 1 },
                        aggregationTemporality: { type: 'AggregationTemporality', id: 2 },
                      },
                    },
                    Summary: { fields: { dataPoints: { rule: 'repeated', type: 'SummaryDataPoint', id: 1 } } },
                    AggregationTemporality: {
                      values: { AGGREGATION_TEMPORALITY_UNSPECIFIED: 0, AGGREGATION_TEMPORALITY_DELTA: 1, AGGREGATION_TEMPORALITY_CUMULATIVE: 2 },
                    },
                    NumberDataPoint: {
                      oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
                      fields: {
                        attributes: { ...keyValues, id: 7 },
                        startTimeUnixNano: { type: 'fixed64', id: 2 },
                        timeUnixNano: { type: 'fixed64', id: 3 },
                        asDouble: { type: 'double', id: 4 },
                        asInt: { type: 'sfixed64', id: 6 },
                        flags: { type: 'uint32', id: 8 },
                      },
                    },
                    HistogramDataPoint: {
                      oneofs: { _sum: { oneof: ['sum'] }, _min: { oneof: ['min'] }, _max: { oneof: ['max'] } },
                      fields: {
                        attributes: { ...keyValues, id: 9 },
                        startTimeUnixNano: { type: 'fixed64', id: 2 },
                        timeUnixNano: { type: 'fixed64', id: 3 },
                        count: { type: 'fixed64', id: 4 },
                        sum: optionalDouble(5),
                        bucketCounts: { rule: 'repeated', type: 'fixed64', id: 6 },
                        explicitBounds: { rule: 'repeated', type: 'double', id: 7 },
                        flags: { type: 'uint32', id: 10 },
                        min: optionalDouble(11),
                        max: optionalDouble(12),
                      },
                    },
                    ExponentialHistogramDataPoint: {
                      oneofs: { _sum: { oneof: ['sum'] }, _min: { oneof: ['min'] }, _max: { oneof: ['max'] } },
                      fields: {
                        attributes: { ...keyValues, id: 1 },
                        startTimeUnixNano: { type: 'fixed64', id: 2 },
                        timeUnixNano: { type: 'fixed64', id: 3 },
                        count: { type: 'fixed64', id: 4 },
                        sum: optionalDouble(5),
                        scale: { type: 'sint32', id: 6 },
                        zeroCount: { type: 'fixed64', id: 7 },
                        flags: { type: 'uint32', id: 10 },
                        min: optionalDouble(12),
                        max: optionalDouble(13),
                        zeroThreshold: { type: 'double', id: 14 },
                      },
                    },
                    SummaryDataPoint: {
                      fields: {
                        attributes: { ...keyValues, id: 7 },
                        startTimeUnixNano: { type: 'fixed64', id: 2 },
                        timeUnixNano: { type: 'fixed64', id: 3 },
                        count: { type: 'fixed64', id: 4 },
                        sum: { type: 'double', id: 5 },
                        quantileValues: { rule: 'repeated', type: 'ValueAtQuantile', id: 6 },
                        flags: { type: 'uint32', id: 8 },
                      },
                      nested: {
                        ValueAtQuantile: { fields: { quantile: { type: 'double', id: 1 }, value: { type: 'double', id: 2 } } },
                      },
                    },
                  },
                },
              },
            },
            collector: {
              nested: {
                metrics: {
                  nested: {
                    v1: {
                      nested: {
                        ExportMetricsServiceRequest: {
                          fields: { resourceMetrics: { rule: 'repeated', type: 'opentelemetry.proto.metrics.v1.ResourceMetrics', id: 1 } },
                        },
                        ExportMetricsServiceResponse: { fields: { partialSuccess: { type: 'ExportMetricsPartialSuccess', id: 1 } } },
                        ExportMetricsPartialSuccess: { fields: { rejectedDataPoints: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } },
        rpc: {
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 } } },
            ErrorInfo: { fields: { reason: { type: 'string', id: 1 }, domain: { type: 'string', id: 2 }, metadata: { keyType: 'string', type: 'string', id: 3 } } },
          },
        },
      },
    },
  },
};
