import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
// Each module defines its types and the root fields that belong to them (imported for effect).
import './scalars.js';
import './types/enums.js';
import './types/tenant.js';
import './types/api-key.js';
import './types/me.js';
import './types/settings.js';
import './types/tenant-config.js';
import './types/feature-flag.js';
import './types/flag-evaluation.js';
import './types/audit-log.js';
import './types/config-history.js';
import './types/configuration-transfer.js';
import './types/scan.js';
import './types/share-link.js';
import './types/retention.js';
import './types/tenant-change.js';
import './types/webhook-delivery.js';

export const schema = lexicographicSortSchema(builder.toSchema());
