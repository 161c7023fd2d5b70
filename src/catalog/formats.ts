import type { JsonValue } from './setting.js';

/** String formats shared by several declarations (regex + the words of its message). */
const octet = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4 = `${octet}(\\.${octet}){3}`;
const ipv6 = '[0-9a-fA-F:]*:[0-9a-fA-F:.]*';

export const formats = {
  cidr: { regex: new RegExp(`^(${ipv4}/(3[0-2]|[12]?\\d)|${ipv6}/(12[0-8]|1[01]\\d|[1-9]?\\d))$`), message: 'must be in CIDR notation (e.g. 10.0.0.0/8)' },
  ipOrCidr: { regex: new RegExp(`^(${ipv4}(/(3[0-2]|[12]?\\d))?|${ipv6}(/(12[0-8]|1[01]\\d|[1-9]?\\d))?)$`), message: 'must be an IP address or CIDR block' },
  httpsUrl: { regex: /^https:\/\/[^\s/?#]+[^\s]*$/, message: 'must be an https:// URL' },
  origin: { regex: /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, message: 'must be an origin such as https://app.example.com (scheme, host, optional port)' },
  email: { regex: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, message: 'must be an email address' },
  hexColor: { regex: /^#[0-9A-Fa-f]{6}$/, message: 'must be a #RRGGBB colour' },
  awsRegion: { regex: /^[a-z]{2}(-gov)?-[a-z]+-\d$/, message: 'must be an AWS region such as us-east-1' },
  countryCode: { regex: /^[A-Z]{2}$/, message: 'must be a two-letter country or region code such as EU or DE' },
  kmsArn: { regex: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+$/, message: 'must be a valid KMS ARN' },
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
    const unknown = Object.keys(item).filter((k) => !(k in fields)).map((k) => `[${i}].${k} is not a known field`);
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
    if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) return `must be a string of 1-${maxLength} characters`;
    if (format && !format.regex.test(v)) return format.message;
    return null;
  };
}

export function oneOfField(values: readonly string[]) {
  return (v: JsonValue): string | null => (typeof v === 'string' && values.includes(v) ? null : `must be one of: ${values.join(', ')}`);
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
