import type { JsonValue } from './setting.js';

/** String formats shared by several declarations (regex + the words of its message). */
const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4 = `${octet}(\\.${octet}){3}`;
const ipv6 = '[0-9a-fA-F:]*:[0-9a-fA-F:.]*';

export const formats = {
  cidr: {
    regex: new RegExp(`^(${ipv4}/(3[0-2]|[12]?\\d)|${ipv6}/(12[0-8]|1[01]\\d|[1-9]?\\d))$`),
    message: 'must be in CIDR notation (e.g. 10.0.0.0/8)',
  },
  ipOrCidr: {
    regex: new RegExp(`^(${ipv4}(/(3[0-2]|[12]?\\d))?|${ipv6}(/(12[0-8]|1[01]\\d|[1-9]?\\d))?)$`),
    message: 'must be an IP address or CIDR block',
  },
  httpsUrl: { regex: /^https:\/\/[^\s/?#]+[^\s]*$/, message: 'must be an https:// URL' },
  origin: {
    regex: /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/,
    message: 'must be an origin such as https://app.example.com (scheme, host, optional port)',
  },
  email: { regex: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, message: 'must be an email address' },
  hexColor: { regex: /^#[0-9A-Fa-f]{6}$/, message: 'must be a #RRGGBB colour' },
  awsRegion: { regex: /^[a-z]{2}(-gov)?-[a-z]+-\d$/, message: 'must be an AWS region such as us-east-1' },
  countryCode: { regex: /^[A-Z]{2}$/, message: 'must be a two-letter country or region code such as EU or DE' },
  kmsArn: {
    regex: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/,
    message: 'must be a valid KMS ARN',
  },
  uuid: { regex: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, message: 'must be a UUID' },
  webhookUrl: { regex: /^https?:\/\/[^\s/?#]+[^\s]*$/i, message: 'must be an https:// URL' },
};

export const isUuid = (value: string): boolean => formats.uuid.regex.test(value);

export function isObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a JSON array of objects against a small per-field schema: required string fields with
 * a format, optional ones, no unknown keys. Returns problems like "[0].bucket is required".
 */
export function checkObjectList(
  value: JsonValue,
  maxItems: number,
  fields: Record<string, { required: boolean; check: (v: JsonValue) => string | null }>,
): string[] {
  if (!Array.isArray(value)) return ['must be a list'];
  if (value.length > maxItems) return [`must have at most ${maxItems} items`];
  return value.flatMap((item, i) => {
    if (!isObject(item)) return [`[${i}] must be an object`];
    const unknown = Object.keys(item)
      .filter((k) => !(k in fields))
      .map((k) => `[${i}].${k} is not a known field`);
    const known = Object.entries(fields).flatMap(([name, f]) => {
      if (item[name] === undefined || item[name] === null) return f.required ? [`[${i}].${name} is required`] : [];
      const problem = f.check(item[name]);
      return problem ? [`[${i}].${name} ${problem}`] : [];
    });
    return [...unknown, ...known];
  });
}

/** A field check: a string of bounded length matching an optional format. */
export function stringField(maxLength: number, format?: { regex: RegExp; message: string }) {
  return (v: JsonValue): string | null => {
    if (typeof v !== 'string' || v.length === 0 || v.length > maxLength)
      return `must be a string of 1-${maxLength} characters`;
    if (format && !format.regex.test(v)) return format.message;
    return null;
  };
}

export function oneOfField(values: readonly string[]) {
  return (v: JsonValue): string | null =>
    typeof v === 'string' && values.includes(v) ? null : `must be one of: ${values.join(', ')}`;
}

export function stringListField(maxItems: number, item: (v: JsonValue) => string | null) {
  return (v: JsonValue): string | null => {
    if (!Array.isArray(v) || v.length > maxItems) return `must be a list of at most ${maxItems} items`;
    for (const x of v) {
      const problem = item(x);
      if (problem) return `items ${problem}`;
    }
    return null;
  };
}

/**
 * Text Postgres cannot store: a NUL character (text refuses it, jsonb refuses `\u0000`) or a lone
 * UTF-16 surrogate (not encodable as UTF-8; jsonb refuses its escape). The reason, or null.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function unstorableText(value: string): string | null {
  // Fast path: most strings hold neither NUL nor any surrogate.
  if (!/[\0\uD800-\uDFFF]/.test(value)) return null;
  if (value.includes('\0')) return 'must not contain a NUL character';
  if (LONE_SURROGATE.test(value)) return 'must not contain a lone UTF-16 surrogate';
  return null;
}

/**
 * The first value inside a JSON-like input Postgres cannot store: unstorable text in a string or
 * an object key, or a number that is not finite (JSON's `1e309` parses as Infinity). `path` is
 * where it was found (dotted, `[i]` for list items); the message never quotes the value.
 */
export function unstorableValue(value: unknown, path: string): { path: string; message: string } | null {
  if (typeof value === 'string') {
    const reason = unstorableText(value);
    return reason ? { path, message: `${path} ${reason}` } : null;
  }
  if (typeof value === 'number')
    return Number.isFinite(value) ? null : { path, message: `${path} must be a finite number` };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableValue(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Date)) {
    for (const [key, child] of Object.entries(value)) {
      const keyReason = unstorableText(key);
      if (keyReason) return { path, message: `${path} has a key that ${keyReason}` };
      const found = unstorableValue(child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

/** Postgres timestamps as ISO-8601 writes them: years 0001 to 9999 (JS dates reach ±275760). */
const EARLIEST_TIME = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** True when a date is valid and inside the years both ISO-8601 text and Postgres accept. */
export function isStorableTime(date: Date): boolean {
  const t = date.getTime();
  return !Number.isNaN(t) && t >= EARLIEST_TIME && t <= LATEST_TIME;
}
