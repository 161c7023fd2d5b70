import { WEBHOOK_EVENT_NAMES } from './change-events.js';
import { checkObjectList, formats, oneOfField, stringField, stringListField } from './formats.js';
import { type SettingTree, setting } from './setting.js';
import { tenantSettingsTree } from './tenant-settings.js';

const DAY = 86_400;

/** Seed 001 categories, in its order. The SettingsCategory enum is derived from these keys. */
export const adminSettingsTree = {
  authentication: {
    password_policy: {
      min_length: setting.integer(8, [6, 128], 'Minimum password length.', { env: 'MIN_PASSWORD_LENGTH' }),
      require_uppercase: setting.boolean(true, 'Require an uppercase letter.'),
      require_lowercase: setting.boolean(true, 'Require a lowercase letter.'),
      require_numbers: setting.boolean(true, 'Require a digit.'),
      require_symbols: setting.boolean(false, 'Require a symbol.'),
      max_age_days: setting.integer(90, [0, 3650], 'Days before a password must be changed (0 = never).'),
      history_count: setting.integer(5, [0, 24], 'Previous passwords that may not be reused.'),
    },
    session: {
      lifetime: setting.integer(DAY, [300, 30 * DAY], 'Session lifetime (seconds).'),
      idle_timeout: setting.integer(3600, [60, DAY], 'Idle time before a session ends (seconds).'),
      absolute_timeout: setting.integer(
        7 * DAY,
        [3600, 365 * DAY],
        'Longest a session may last, even when active (seconds).',
      ),
      single_session: setting.boolean(false, 'Allow one session per user at a time.'),
      remember_me_enabled: setting.boolean(true, 'Offer "remember me" at sign-in.'),
      remember_me_duration: setting.integer(30 * DAY, [3600, 365 * DAY], 'How long "remember me" lasts (seconds).'),
    },
    mfa: {
      enabled: setting.boolean(true, 'Offer multi-factor authentication.'),
      required: setting.boolean(false, 'Require multi-factor authentication for every user.'),
      methods: setting.stringList(['totp', 'sms', 'email'], 'Allowed second factors.', {
        values: ['totp', 'sms', 'email', 'webauthn', 'push'],
        maxItems: 5,
      }),
      grace_period: setting.integer(
        0,
        [0, 30 * DAY],
        'Seconds a new user may sign in before enrolling in MFA when it is required.',
      ),
    },
    lockout: {
      enabled: setting.boolean(true, 'Lock an account after repeated failed sign-ins.'),
      max_attempts: setting.integer(5, [1, 100], 'Failed attempts before a lockout.'),
      lockout_duration: setting.integer(900, [60, DAY], 'How long a lockout lasts (seconds).'),
      reset_after: setting.integer(3600, [60, DAY], 'Seconds after which the failed-attempt counter resets.'),
    },
  },
  branding: {
    logo_url: setting.string(null, 'Logo shown on sign-in pages and emails.', {
      nullable: true,
      maxLength: 2048,
      pattern: formats.httpsUrl,
    }),
    primary_color: setting.string('#0066CC', 'Primary brand colour.', { pattern: formats.hexColor }),
    company_name: setting.string(null, 'Company name shown to users.', {
      nullable: true,
      minLength: 1,
      maxLength: 100,
    }),
  },
  email: {
    from_address: setting.string(null, 'Sender address of outgoing email.', {
      nullable: true,
      maxLength: 254,
      pattern: formats.email,
    }),
    from_name: setting.string(null, 'Sender name of outgoing email.', { nullable: true, minLength: 1, maxLength: 100 }),
    reply_to_address: setting.string(null, 'Reply-to address of outgoing email.', {
      nullable: true,
      maxLength: 254,
      pattern: formats.email,
    }),
  },
  security: {
    allowed_origins: setting.stringList([], 'Origins allowed to call the API from a browser (CORS).', {
      maxItems: 100,
      maxLength: 255,
      pattern: formats.origin,
    }),
    trusted_proxies: setting.stringList([], 'Proxies whose X-Forwarded-For is trusted (IP or CIDR).', {
      maxItems: 100,
      maxLength: 64,
      pattern: formats.ipOrCidr,
    }),
    rate_limiting: {
      enabled: setting.boolean(true, 'Rate-limit API requests.'),
      requests_per_minute: setting.integer(60, [1, 100_000], 'Requests allowed per minute per client.'),
    },
  },
  tokens: {
    access_token_ttl: setting.integer(3600, [60, DAY], 'Access token lifetime (seconds).'),
    refresh_token_ttl: setting.integer(30 * DAY, [3600, 365 * DAY], 'Refresh token lifetime (seconds).'),
    refresh_token_rotation: setting.boolean(true, 'Issue a new refresh token on every use.'),
    reuse_detection: setting.boolean(true, 'Revoke the token family when a rotated refresh token is reused.'),
    signing_algorithm: setting.enum('RS256', ['RS256', 'ES256', 'EdDSA'], 'Algorithm signing issued tokens.'),
  },
  webhooks: {
    enabled: setting.boolean(false, 'Deliver webhooks.'),
    // The url's scheme and address (https, no private/loopback/link-local/metadata target) are
    // checked by the write path and again at delivery (services/webhook-target.ts): they depend on
    // DNS and on the operator's WEBHOOKS_ALLOW_PRIVATE switch, which a pure catalog cannot know.
    endpoints: setting.json(
      [],
      `Webhook endpoints: [{ url (https), events: [${WEBHOOK_EVENT_NAMES.join(', ')}] }], at most 20.`,
      (v) =>
        checkObjectList(v, 20, {
          url: { required: true, check: stringField(2048, formats.webhookUrl) },
          events: { required: true, check: stringListField(50, oneOfField(WEBHOOK_EVENT_NAMES)) },
          description: { required: false, check: stringField(200) },
        }),
    ),
    // The very same declaration as seed 000's webhookSigningSecret: the catalog gives one
    // Setting instance one home (its first document), so both names read and write one secret.
    signing_secret: tenantSettingsTree.webhookSigningSecret,
    timeout_seconds: setting.integer(10, [1, 60], 'Delivery timeout (seconds).'),
    retry: {
      max_attempts: setting.integer(5, [0, 20], 'Delivery attempts after the first failure.'),
      backoff_seconds: setting.integer(30, [1, 3600], 'Initial delay between attempts (doubles each time).'),
    },
  },
  compliance: {
    audit_log_retention_days: setting.integer(365, [30, 3650], 'Days audit entries are kept.'),
    data_export_enabled: setting.boolean(true, 'Allow users to export their data.'),
    data_export_format: setting.enum('json', ['json', 'csv'], 'Format of data exports.'),
    mask_pii_in_logs: setting.boolean(true, 'Mask personal data in application logs.'),
    consent_required: setting.boolean(false, 'Ask for consent before processing optional personal data.'),
  },
} satisfies SettingTree;

export type SettingsCategoryName = keyof typeof adminSettingsTree;
export const SETTINGS_CATEGORIES = Object.keys(adminSettingsTree) as SettingsCategoryName[];
