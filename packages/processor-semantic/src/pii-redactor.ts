import { isIPv6 } from 'node:net';

/** The built-in kinds of PII, each with its placeholder. */
export const piiPlaceholders = {
  secret: '[SECRET]',
  email: '[EMAIL]',
  iban: '[IBAN]',
  card: '[CARD]',
  ip: '[IP]',
  phone: '[PHONE]',
} as const;

export type PiiKind = keyof typeof piiPlaceholders;

/** A user pattern: matches become `[NAME]` (the name upper-cased). */
export interface CustomPiiPattern {
  /** Letters, digits and `_`, starting with a letter: `employee_id` → `[EMPLOYEE_ID]`. */
  name: string;
  /** A JavaScript regular expression source. It runs on every transcript: keep it linear-time. */
  pattern: string;
  /** Extra flags, each at most once: `i`, `m`, `s`, `u` (`g` is always added and may be given). */
  flags?: string;
}

/** Flags a user pattern may carry: `y` (sticky) and `d` (indices) would change what `replace` matches or costs. */
const allowedCustomFlags = new Set(['i', 'm', 's', 'u', 'g']);

/**
 * What is wrong with a user pattern (name, flags, source), or undefined when it is usable: for
 * configuration schemas, so a bad pattern is reported with its path before anything starts.
 */
export function customPiiPatternProblem(entry: CustomPiiPattern): string | undefined {
  if (!/^[A-Za-z]\w{0,63}$/.test(entry.name))
    return `invalid redaction name "${entry.name}": letters, digits and _ only, starting with a letter`;
  const flags = entry.flags ?? '';
  for (const [index, flag] of [...flags].entries()) {
    if (!allowedCustomFlags.has(flag)) return `invalid redaction flag "${flag}" for "${entry.name}": use i, m, s or u`;
    if (flags.indexOf(flag) !== index) return `redaction flag "${flag}" given twice for "${entry.name}"`;
  }
  let pattern: RegExp;
  try {
    pattern = new RegExp(entry.pattern, withGlobal(flags));
  } catch (error) {
    return `invalid redaction pattern for "${entry.name}": ${(error as Error).message}`;
  }
  if (pattern.test('')) return `redaction pattern for "${entry.name}" matches the empty string`;
  return undefined;
}

function withGlobal(flags: string): string {
  return flags.includes('g') ? flags : `${flags}g`;
}

export interface PiiRedactorOptions {
  /** Built-in kinds to turn off (all are on by default). */
  disable?: PiiKind[];
  custom?: CustomPiiPattern[];
}

export interface RedactionResult {
  text: string;
  /** Matches replaced, by kind (built-in kinds and custom names); kinds with none are left out. */
  counts: Record<string, number>;
}

interface Rule {
  kind: string;
  placeholder: string;
  pattern: RegExp;
  /** The replacement for a match, or undefined to keep it (a checksum or shape check failed). */
  replace?: (match: string, groups: string[], offset: number, text: string) => string | undefined;
}

// Every pattern is linear-time: repeated classes either cannot overlap what follows them, or have small
// fixed bounds, and patterns that start with a repeated class have a lookbehind on the same class, so a
// long run of such characters is tried once from its start rather than from every position in it.
const secretPatterns: RegExp[] = [
  // JSON Web Tokens: base64url header and payload both start with `{"` = `eyJ`.
  /(?<![\w-])eyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]{5,}/g,
  // OpenAI / Anthropic style keys: sk-…, sk-proj-…, sk-ant-…
  /(?<![\w-])sk-[\w-]{16,}/g,
  // Stripe secret and restricted keys (sk_live_…, rk_test_…); `sk_test_mode` is too short to be one.
  /(?<![\w-])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}/g,
  // Google API keys: AIza + 35.
  /(?<![\w-])AIza[\w-]{35}(?![\w-])/g,
  // Google OAuth access tokens.
  /(?<![\w-])ya29\.[\w-]{20,}/g,
  // AWS access key ids.
  /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g,
  // GitHub tokens.
  /(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})/g,
  // GitLab personal, project and deploy tokens.
  /(?<![\w-])gl(?:pat|dt|ptt|rt)-[\w-]{20,}/g,
  // npm, Hugging Face, PyPI and DigitalOcean tokens.
  /(?<![\w-])(?:npm_[A-Za-z0-9]{36}|hf_[A-Za-z]{34}|pypi-AgEIcHlwaS5vcmc[\w-]{50,}|do[opr]_v1_[a-f0-9]{64})(?![\w-])/g,
  // Slack tokens.
  /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}/g,
  // SendGrid keys.
  /(?<![\w-])SG\.[\w-]{22}\.[\w-]{43}(?![\w-])/g,
  // PEM private keys, the whole block (bounded, so an unterminated header costs at most that much).
  /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----[\s\S]{1,8000}?-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----/g,
];
// `Bearer <token>` keeps the scheme word; prose such as "a bearer token is …" is left alone.
const bearerPattern = /\b(Bearer\s+)([\w.~+/-]{3,}=*)/gi;
const bearerProse = new Set(['token', 'tokens', 'auth', 'authentication', 'header', 'scheme', 'credentials']);
// `Basic <base64>` is a credential only when the base64 decodes to `user:password` ("basic setup" is prose).
const basicPattern = /\b(Basic\s+)([A-Za-z0-9+/]{4,}={0,2})(?![\w+/=])/gi;
// An `Authorization:` header value, whatever its scheme (Basic, Token, Digest, SharedKey, …).
const authorizationPattern =
  /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:[A-Za-z][\w-]{1,20}\s+)?)([^\s"',;]{5,}[^\s"',;.!?:)\]])/gi;
// `password: hunter2`, `api_key="…"`: the value goes, the name stays. Names in code style (snake or kebab
// case, quoted, or assigned with `=`) take any value; the plain words `secret`, `password`, `passwd` and
// `token` followed by `:` take only values that look like credentials (a digit, a symbol or an inner
// capital), so "the secret: ingredient" stays prose.
const assignedSecretPattern =
  /\b((?:api[_-]?key|secret[_-]?key|client[_-]?secret|access[_-]?token|auth[_-]?token|refresh[_-]?token|secret|password|passwd|token)(["']?)\s*([:=])\s*["']?)([^\s"',;]{5,}[^\s"',;.!?:)\]])/gi;
const proseSecretNames = new Set(['secret', 'password', 'passwd', 'token']);
const credentialLike = /\d|[^A-Za-z]|[a-z][A-Z]/;

const emailPattern = /(?<![\w.%+-])[\w.%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}/g;
// IBAN: country, check digits, then 11–30 alphanumerics, optionally grouped by four with spaces; any case
// (people type them lower-case). The country's length and mod 97 decide.
const ibanPattern = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])/g;
// Payment cards: 13–19 digits, optionally grouped with spaces or dashes, issuer digits 2–6.
const cardPattern = /(?<![\d-])[2-6]\d(?:[ -]?\d){11,17}(?![\d-]|[ -]\d)/g;
// IPv6 candidates (checked with node:net); they must contain a digit, so `Abc::Def` stays. An IPv4 tail
// (`::ffff:10.0.0.1`) is part of the address, not left behind.
const ipv6Pattern =
  /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)|[0-9A-Fa-f]{0,4})(?![\w:])/g;
const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4Pattern = new RegExp(`(?<![\\w.])${octet}(?:\\.${octet}){3}(?!\\.?\\d)`, 'g');
// A dotted quad right after `v`, `version`, `release`, `build`, `@` or a pin (`==`, `>=`) is a version
// (`v1.2.3.4`, `pkg@1.2.3.4`, `pkg==1.2.3.4`), not an address.
const versionPrefix = /(?:\bv|\b(?:version|release|build|ver\.?)\s*|@|[=<>~!]=\s*)$/i;
// International: + or 00, a country code, then 2–6 groups; checked for 8–15 digits. A 00 right after
// another digit group is the middle of a longer number (an account, a card), not a dialling prefix.
const internationalPhonePattern = /(?<![\w+])(?:\+|(?<!\d[\s.-])00)[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,6}(?![\w])/g;
// North American: (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567 — separators required, so
// bare digit runs (order numbers, ids, timestamps) are not phones. An opening parenthesis may follow a
// word ("call(415) …").
const usPhonePattern =
  /(?:(?<![\w+.-])(?:1[\s.-]?)?[2-9]\d{2}[\s.-]|(?<![\d+.-]|\d[\s.-])(?:1[\s.-]?)?\([2-9]\d{2}\)\s?)[2-9]\d{2}[\s.-]\d{4}(?![\w-]|\.\d)/g;
// National: the trunk 0, then groups with one separator throughout — UK 020 7946 0958, France
// 06 12 34 56 78 or 01.23.45.67.89, Germany 030 1234567, Australia (02) 9876 5432; checked for 9–12
// digits. Separators are required (bare runs stay) and must not change ("01.02.2024 10:30" is a date
// and a time), and a 0 right after a digit group or a dot is inside another number.
const nationalPhonePattern =
  /(?<![\w+.,-]|\d[\s.-])(?:\(0\d{1,4}\)|0\d{1,4})([ .-])\d{2,8}(?:\1\d{2,8}){0,3}(?![\w-]|[.,]\d|\1?\d)/g;

/**
 * Redacts PII from text before it leaves for an LLM, replacing each match with a typed placeholder:
 * secrets (API keys of known formats, bearer and basic credentials, `Authorization:` values, JWTs, PEM
 * private keys, `password=` values) `[SECRET]`, emails `[EMAIL]`, IBANs (country length and mod 97
 * checked, any case) `[IBAN]`, payment cards (Luhn checked) `[CARD]`, IPv4/IPv6 addresses (IPv4-mapped
 * included) `[IP]`, phone numbers (international, North American, national with a trunk 0) `[PHONE]`,
 * and user patterns `[NAME]`. User patterns run first, then secrets, so the most specific rule wins;
 * placeholders hold no digits, so later rules never match inside them.
 *
 * Decisions, for text that could be either:
 * - a 4-part dotted number in the IPv4 range is an address (versions usually have 3 parts, or a part
 *   above 255) unless it follows `v`, `version`, `release`, `build`, `@` or a pin such as `==`;
 * - a digit run passing Luhn with a card issuer digit is a card even if it was meant as an order number
 *   (1 in 10 random numbers pass Luhn); one failing Luhn is left alone;
 * - bare digit runs are never phones: a phone needs separators (or a `+`/`00` prefix), and national
 *   numbers a trunk 0 and one separator throughout, so dates, times, ISBNs, UUIDs, git hashes,
 *   coordinates and prices stay; national numbers without a trunk 0 (Spain, Italian mobiles) are
 *   recognised only with their `+` country code;
 * - after the plain words `secret:`, `password:`, `passwd:` or `token:` only a value that looks like a
 *   credential (a digit, a symbol or an inner capital) is a secret ("the secret: ingredient" stays; a
 *   letters-only password written that way is missed); code-style names (`api_key`, `"password":`,
 *   `password=`) take any value.
 */
export class PiiRedactor {
  private readonly rules: Rule[];

  constructor(options: PiiRedactorOptions = {}) {
    const disabled = new Set(options.disable ?? []);
    const custom: Rule[] = (options.custom ?? []).map((entry) => {
      const problem = customPiiPatternProblem(entry);
      if (problem !== undefined) throw new Error(problem);
      const pattern = new RegExp(entry.pattern, withGlobal(entry.flags ?? ''));
      return { kind: entry.name, placeholder: `[${entry.name.toUpperCase()}]`, pattern };
    });
    const builtIn: (Rule & { kind: PiiKind })[] = [
      ...secretPatterns.map((pattern) => ({ kind: 'secret' as const, placeholder: piiPlaceholders.secret, pattern })),
      {
        kind: 'secret',
        placeholder: piiPlaceholders.secret,
        pattern: bearerPattern,
        replace: (_match, [scheme, token]) =>
          bearerProse.has((token as string).toLowerCase()) ? undefined : `${scheme}${piiPlaceholders.secret}`,
      },
      {
        kind: 'secret',
        placeholder: piiPlaceholders.secret,
        pattern: basicPattern,
        replace: (_match, [scheme, credentials]) =>
          isBasicCredentials(credentials as string) ? `${scheme}${piiPlaceholders.secret}` : undefined,
      },
      {
        kind: 'secret',
        placeholder: piiPlaceholders.secret,
        pattern: authorizationPattern,
        // Credentials have a digit, a symbol or an inner capital; "Authorization: required" is prose.
        replace: (_match, [name, value]) =>
          (value as string).startsWith('[') || !credentialLike.test(value as string)
            ? undefined
            : `${name}${piiPlaceholders.secret}`,
      },
      {
        kind: 'secret',
        placeholder: piiPlaceholders.secret,
        pattern: assignedSecretPattern,
        replace: (_match, [name, quote, operator, value]) => {
          const word = (name as string).replace(/["']?\s*[:=]\s*["']?$/, '').toLowerCase();
          const prose = proseSecretNames.has(word) && quote === '' && operator === ':';
          if ((value as string).startsWith('[')) return undefined;
          return prose && !credentialLike.test(value as string) ? undefined : `${name}${piiPlaceholders.secret}`;
        },
      },
      {
        kind: 'email',
        placeholder: piiPlaceholders.email,
        pattern: emailPattern,
        replace: (match) => (/\.[A-Za-z]{2,63}$/.test(match) ? piiPlaceholders.email : undefined),
      },
      {
        kind: 'iban',
        placeholder: piiPlaceholders.iban,
        pattern: ibanPattern,
        replace: (match) => (isValidIban(match) ? piiPlaceholders.iban : undefined),
      },
      {
        kind: 'card',
        placeholder: piiPlaceholders.card,
        pattern: cardPattern,
        replace: (match) => (isValidCard(match) ? piiPlaceholders.card : undefined),
      },
      {
        kind: 'ip',
        placeholder: piiPlaceholders.ip,
        pattern: ipv6Pattern,
        replace: (match) => (/\d/.test(match) && isIPv6(match) ? piiPlaceholders.ip : undefined),
      },
      {
        kind: 'ip',
        placeholder: piiPlaceholders.ip,
        pattern: ipv4Pattern,
        replace: (_match, _groups, offset, text) =>
          versionPrefix.test(text.slice(Math.max(0, offset - 12), offset)) ? undefined : piiPlaceholders.ip,
      },
      {
        kind: 'phone',
        placeholder: piiPlaceholders.phone,
        pattern: internationalPhonePattern,
        replace: (match) => {
          const digits = match.replace(/\D/g, '').replace(/^00/, '');
          return digits.length >= 8 && digits.length <= 15 ? piiPlaceholders.phone : undefined;
        },
      },
      { kind: 'phone', placeholder: piiPlaceholders.phone, pattern: usPhonePattern },
      {
        kind: 'phone',
        placeholder: piiPlaceholders.phone,
        pattern: nationalPhonePattern,
        replace: (match) => {
          const digits = match.replace(/\D/g, '').length;
          return digits >= 9 && digits <= 12 ? piiPlaceholders.phone : undefined;
        },
      },
    ];
    this.rules = [...custom, ...builtIn.filter((rule) => !disabled.has(rule.kind))];
  }

  redact(text: string): RedactionResult {
    const counts: Record<string, number> = {};
    let result = text;
    for (const rule of this.rules) {
      rule.pattern.lastIndex = 0;
      result = result.replace(rule.pattern, (...args: unknown[]) => {
        const match = args[0] as string;
        // replace() passes: match, groups…, offset, whole string (and named groups when the pattern has some).
        const hasNamedGroups = typeof args.at(-1) === 'object';
        const whole = args.at(hasNamedGroups ? -2 : -1) as string;
        const offset = args.at(hasNamedGroups ? -3 : -2) as number;
        const groups = args.slice(1, hasNamedGroups ? -3 : -2) as string[];
        const replacement = rule.replace ? rule.replace(match, groups, offset, whole) : rule.placeholder;
        if (replacement === undefined) return match;
        counts[rule.kind] = (counts[rule.kind] ?? 0) + 1;
        return replacement;
      });
    }
    return { text: result, counts };
  }
}

/** Luhn checksum over the digits, 13–19 of them, not all the same. */
function isValidCard(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19 || /^(\d)\1+$/.test(digits)) return false;
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** Whether `Basic` credentials decode to `user:password` in printable ASCII. */
function isBasicCredentials(base64: string): boolean {
  if (base64.length % 4 !== 0 || base64.length < 8) return false;
  const decoded = Buffer.from(base64, 'base64').toString('latin1');
  return /^[\x20-\x7e]+$/.test(decoded) && /^[^:]+:./.test(decoded);
}

/** IBAN length by country (the ISO 13616 registry). */
const ibanLengths: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HN: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/** ISO 13616: the country's length, and the rearranged number mod 97 is 1. */
function isValidIban(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '').toUpperCase();
  if (ibanLengths[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const value = character >= 'A' && character <= 'Z' ? String(character.charCodeAt(0) - 55) : character;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}
