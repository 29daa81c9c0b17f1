// A series' settings (its known value bounds), read and set through the API. Built in issue 16.
import type { Sql } from '../../store/sql.js';
import type { App } from '../types.js';

export function seriesSettingsRoutes(_app: App, _deps: { sql: Sql }): void {}
