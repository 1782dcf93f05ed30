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
  /** Extra flags (`i`, `u`, `m`, `s`); `g` is always added. */
  flags?: string;
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
  // AWS access key ids.
  /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g,
  // GitHub tokens.
  /(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})/g,
  // Slack tokens.
  /(?<![\w-])xox[abposr]-[A-Za-z0-9-]{10,}/g,
];
// `Bearer <token>` keeps the scheme word; prose such as "a bearer token is …" is left alone.
const bearerPattern = /\b(Bearer\s+)([\w.~+/-]{3,}=*)/gi;
const bearerProse = new Set(['token', 'tokens', 'auth', 'authentication', 'header', 'scheme', 'credentials']);
// `password: hunter2`, `api_key="…"`: the value goes, the name stays.
const assignedSecretPattern =
  /\b((?:api[_-]?key|secret|client[_-]?secret|password|passwd|access[_-]?token)["']?\s*[:=]\s*["']?)([^\s"',;]{6,})/gi;

const emailPattern = /(?<![\w.%+-])[\w.%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}/g;
// IBAN: country, check digits, then 11–30 alphanumerics, optionally grouped by four with spaces.
const ibanPattern = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/g;
// Payment cards: 13–19 digits, optionally grouped with spaces or dashes, issuer digits 2–6.
const cardPattern = /(?<![\d-])[2-6]\d(?:[ -]?\d){11,17}(?![\d-]|[ -]\d)/g;
// IPv6 candidates (checked with node:net); they must contain a digit, so `Abc::Def` stays.
const ipv6Pattern = /(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])/g;
const octet = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const ipv4Pattern = new RegExp(`(?<![\\w.])${octet}(?:\\.${octet}){3}(?!\\.?\\d)`, 'g');
// A dotted quad right after `v`, `version ` or `@` is a version (`v1.2.3.4`, `pkg@1.2.3.4`), not an address.
const versionPrefix = /(?:\bv|\bversion\s*|@)$/i;
// International: + or 00, a country code, then 2–6 groups; checked for 8–15 digits. A 00 right after
// another digit group is the middle of a longer number (an account, a card), not a dialling prefix.
const internationalPhonePattern = /(?<![\w+])(?:\+|(?<!\d[\s.-])00)[1-9]\d{0,2}(?:[\s.-]?\(?\d{1,4}\)?){2,6}(?![\w])/g;
// North American: (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567 — separators required, so
// bare digit runs (order numbers, ids, timestamps) are not phones.
const usPhonePattern =
  /(?<![\w+.-])(?:1[\s.-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[\s.-])[2-9]\d{2}[\s.-]\d{4}(?![\w-]|\.\d)/g;

/**
 * Redacts PII from text before it leaves for an LLM, replacing each match with a typed placeholder:
 * secrets (API keys, bearer tokens, JWTs, `password=` values) `[SECRET]`, emails `[EMAIL]`, IBANs
 * (mod-97 checked) `[IBAN]`, payment cards (Luhn checked) `[CARD]`, IPv4/IPv6 addresses `[IP]`, phone
 * numbers `[PHONE]`, and user patterns `[NAME]`. User patterns run first, then secrets, so the most
 * specific rule wins; placeholders hold no digits, so later rules never match inside them.
 *
 * Decisions: a 4-part dotted number is an IPv4 address (versions are usually 3 parts) unless it follows
 * `v`, `version` or `@`; a digit run passing Luhn with a card issuer digit is a card even if it was
 * meant as an order number (1 in 10 random numbers pass Luhn); bare digit runs are never phones.
 */
export class PiiRedactor {
  private readonly rules: Rule[];

  constructor(options: PiiRedactorOptions = {}) {
    const disabled = new Set(options.disable ?? []);
    const custom: Rule[] = (options.custom ?? []).map((entry) => {
      if (!/^[A-Za-z]\w{0,63}$/.test(entry.name))
        throw new Error(`invalid redaction name "${entry.name}": letters, digits and _ only, starting with a letter`);
      const flags = new Set([...(entry.flags ?? '').replace(/[^imsu]/g, ''), 'g']);
      let pattern: RegExp;
      try {
        pattern = new RegExp(entry.pattern, [...flags].join(''));
      } catch (error) {
        throw new Error(`invalid redaction pattern for "${entry.name}": ${(error as Error).message}`);
      }
      if (pattern.test('')) throw new Error(`redaction pattern for "${entry.name}" matches the empty string`);
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
        pattern: assignedSecretPattern,
        replace: (_match, [name]) => `${name}${piiPlaceholders.secret}`,
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
          versionPrefix.test(text.slice(Math.max(0, offset - 10), offset)) ? undefined : piiPlaceholders.ip,
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

/** ISO 13616: 15–34 characters, the rearranged number mod 97 is 1. */
function isValidIban(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '');
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const character of rearranged) {
    const value = character >= 'A' && character <= 'Z' ? String(character.charCodeAt(0) - 55) : character;
    for (const digit of value) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}
