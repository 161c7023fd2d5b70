import type { Migration } from 'kysely';
import * as m0001 from './0001_initial.js';
import * as m0002 from './0002_change_feed.js';
import * as m0003 from './0003_config_versions_history.js';
import * as m0004 from './0004_webhook_outbox_stream.js';

// Listed explicitly (not read from the folder) so the order is reviewable and bundling works.
export const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_change_feed': m0002,
  '0003_config_versions_history': m0003,
  '0004_webhook_outbox_stream': m0004,
};
