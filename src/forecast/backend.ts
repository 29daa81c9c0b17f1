// The contract every forecast backend implements (statistical, nixtla-timegpt, stub). A backend gets
// an evenly spaced, gap-free series and returns a point forecast with intervals; the forecast service
// resamples, picks the backend, falls back and stores the result.

export const frequencies = ['1m', '5m', '1h', '1d'] as const;
export type Frequency = (typeof frequencies)[number];

/** Step of each frequency in milliseconds. */
export const frequencyMs: Record<Frequency, number> = { '1m': 60_000, '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };

export interface BackendRequest {
  /** Values on the frequency grid, oldest first, no gaps, all finite. Owned by the caller. */
  values: Float64Array;
  /** Epoch ms of values[0]; values[i] is at start + i·step. */
  start: number;
  frequency: Frequency;
  /** Steps ahead, 1..720. */
  horizon: number;
  /** Interval levels in percent, e.g. [80, 95]. */
  levels: readonly number[];
  /** Aborts network calls when the request is given up. */
  signal?: AbortSignal;
}

export interface BackendResult {
  /** The model that produced the forecast, e.g. "ETS(A,Ad,A)[24]" or "timegpt-1". */
  model: string;
  /** Point forecast, length horizon. */
  mean: Float64Array;
  /** One per requested level, in the order requested. */
  intervals: { level: number; lower: Float64Array; upper: Float64Array }[];
  /** JSON-serialisable parameters stored with the forecast. */
  params?: Record<string, unknown>;
}

export interface BackendCapabilities {
  frequencies: readonly Frequency[];
  maxHorizon: number;
  /** Interval levels the backend can produce; `any` means any level in (0, 100). */
  intervalLevels: readonly number[] | 'any';
  anomalyDetection: boolean;
}

export interface Availability {
  available: boolean;
  /** Why not, when unavailable (e.g. "NIXTLA_API_KEY is not set"). */
  reason?: string;
}

export interface ForecastBackend {
  /** Registry name, e.g. "statistical". */
  readonly name: string;
  readonly description: string;
  readonly capabilities: BackendCapabilities;
  availability(): Availability;
  /** The fewest points the backend needs for this request (to answer 400 with a clear message). */
  minPoints(frequency: Frequency, horizon: number): number;
  /** Throws BackendError when the backend fails (the service then falls back to the default). */
  forecast(request: BackendRequest): Promise<BackendResult>;
}

/** A backend failed (network, upstream error, bad upstream reply); `retryable` is informational. */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly backend: string,
    readonly retryable = false,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}
