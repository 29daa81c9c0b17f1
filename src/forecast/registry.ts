// Every forecast backend, registered here and only here (registry.test.ts fails if one is missing).
import type { ForecastBackend } from './backend.js';
import { createNixtlaBackend, type NixtlaOptions } from './backends/nixtla-timegpt.js';
import { createStatisticalBackend } from './backends/statistical.js';
import { createStubBackend } from './backends/stub.js';
import { forecastOnThisThread, type ForecastFunc } from './forecast-func.js';

/** The backend used when none is asked for, and the fallback when the asked one fails. */
export const defaultBackend = 'statistical';

export interface BackendRegistry {
  readonly defaultName: string;
  get(name: string): ForecastBackend | undefined;
  list(): ForecastBackend[];
}

export interface RegistryDeps {
  /** Where statistical forecasts run (the worker pool in the server; default this thread). */
  runner?: ForecastFunc;
  nixtla?: NixtlaOptions;
  /** Extra or replacement backends (tests). */
  extra?: ForecastBackend[];
}

export function createBackendRegistry(deps: RegistryDeps = {}): BackendRegistry {
  const backends = new Map<string, ForecastBackend>();
  for (const b of [createStatisticalBackend(deps.runner ?? forecastOnThisThread), createNixtlaBackend(deps.nixtla ?? {}), createStubBackend(), ...(deps.extra ?? [])]) backends.set(b.name, b);
  return {
    defaultName: defaultBackend,
    get: (name) => backends.get(name),
    list: () => [...backends.values()],
  };
}
