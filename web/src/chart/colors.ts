import type { Severity } from '../types';

/** Series colours, distinguishable in light and dark themes. */
export const palette = ['#2f6fde', '#1b9e5a', '#9b4fd6', '#d9467f', '#0d93a8', '#b7791f'];

export const severityColor: Record<Severity, string> = {
  low: '#3b8fd9',
  medium: '#d4a106',
  high: '#ea6a12',
  critical: '#e02424',
};

/** `#rrggbb` with an alpha, for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Alert severities (the alert rules' scale), for the shaded regions of alert firings. */
export const alertSeverityColor: Record<string, string> = {
  critical: '#e02424',
  error: '#ea6a12',
  warning: '#d4a106',
  info: '#3b8fd9',
};
