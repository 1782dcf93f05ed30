import { describe, expect, it } from 'vitest';
import { customPiiPatternProblem, PiiRedactor } from './pii-redactor.js';

const redactor = new PiiRedactor();
const redact = (text: string): string => redactor.redact(text).text;

describe('PiiRedactor: what it redacts', () => {
  it('emails', () => {
    expect(redactor.redact('Mail jane.doe+news@example.co.uk or ops@sub.example.com today.')).toEqual({
      text: 'Mail [EMAIL] or [EMAIL] today.',
      counts: { email: 2 },
    });
  });

  it('phone numbers in international and US formats', () => {
    for (const phone of [
      '+1 (555) 234-5678',
      '+44 20 7946 0958',
      '+49 30 1234567',
      '0044 20 7946 0958',
      '+33 1 23 45 67 89',
      '(555) 234-5678',
      '555-234-5678',
      '555.234.5678',
      '1-555-234-5678',
      '(415) 555-0132',
    ])
      expect([phone, redact(`call ${phone} now`)]).toEqual([phone, 'call [PHONE] now']);
    expect(redact('call(415) 555-0132 or +44 20 7946 0958.')).toBe('call[PHONE] or [PHONE].');
  });

  it('national phone numbers with a trunk 0', () => {
    for (const phone of [
      '020 7946 0958',
      '07700 900123',
      '06 12 34 56 78',
      '01.23.45.67.89',
      '030 1234567',
      '089 1234 5678',
      '06-12345678',
      '(02) 9876 5432',
      '0412 345 678',
    ])
      expect([phone, redact(`ring ${phone}, thanks`)]).toEqual([phone, 'ring [PHONE], thanks']);
  });

  it('payment cards that pass Luhn, grouped or not', () => {
    expect(redact('Visa 4111 1111 1111 1111, MC 5555-5555-5555-4444, Amex 378282246310005.')).toBe(
      'Visa [CARD], MC [CARD], Amex [CARD].',
    );
  });

  it('IPv4 and IPv6 addresses', () => {
    expect(redactor.redact('from 192.168.1.20 and 10.0.0.1. Also 2001:db8::8a2e:370:7334, fe80::1 and ::1').text).toBe(
      'from [IP] and [IP]. Also [IP], [IP] and [IP]',
    );
  });

  it('IPv4-mapped IPv6 addresses whole, leaving no octets behind', () => {
    expect(redactor.redact('peer ::ffff:10.0.0.1 and ::FFFF:192.168.1.20.').text).toBe('peer [IP] and [IP].');
  });

  it('API keys, bearer tokens, JWTs and assigned secrets', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    const text = [
      'key sk-proj-abcdefghijklmnop1234',
      'aws AKIAIOSFODNN7EXAMPLE',
      `gh ghp_${'a1B2'.repeat(9)}`,
      'slack xoxb-1234567890-abcdefghij',
      'Authorization: Bearer xyz',
      `token ${jwt}`,
      'password: hunter22',
      'api_key="abcdef123456"',
    ].join('\n');
    const result = redactor.redact(text);
    expect(result.text).toBe(
      [
        'key [SECRET]',
        'aws [SECRET]',
        'gh [SECRET]',
        'slack [SECRET]',
        'Authorization: Bearer [SECRET]',
        'token [SECRET]',
        'password: [SECRET]',
        'api_key="[SECRET]"',
      ].join('\n'),
    );
    expect(result.counts).toEqual({ secret: 8 });
  });

  it('IBANs that pass mod-97, with or without spaces', () => {
    expect(redact('Pay to DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432.')).toBe('Pay to [IBAN] or [IBAN].');
  });

  it('IBANs typed in lower case or grouped with spaces', () => {
    expect(redact('iban de89 3704 0044 0532 0130 00, gb82 west 1234 5698 7654 32, fr1420041010050500013m02606')).toBe(
      'iban [IBAN], [IBAN], [IBAN]',
    );
  });

  it('Basic and other Authorization credentials, Google, Stripe, GitLab, npm and similar keys, private keys', () => {
    const text = [
      'Authorization: Basic dXNlcjpwYXNzd29yZA==',
      'curl -u x -H "Authorization: Token 9f8e7d6c5b4a3210"',
      'proxy-authorization: SharedKey acct:Zm9vYmFyYmF6',
      'maps AIzaSyA1234567890abcdefghijklmnopqrstuv',
      'stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc',
      'gitlab glpat-abcdefghij1234567890',
      'npm npm_abcdefghijklmnopqrstuvwxyz0123456789',
      'oauth ya29.a0AfH6SMBx1234567890abcdef',
      `sendgrid SG.${'a'.repeat(22)}.${'b'.repeat(43)}`,
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234\n-----END RSA PRIVATE KEY-----',
      'Basic Og== is not a credential but Basic YWxhZGRpbjpvcGVuc2VzYW1l is',
    ].join('\n');
    expect(redactor.redact(text).text).toBe(
      [
        'Authorization: Basic [SECRET]',
        'curl -u x -H "Authorization: Token [SECRET]"',
        'proxy-authorization: SharedKey [SECRET]',
        'maps [SECRET]',
        'stripe [SECRET]',
        'gitlab [SECRET]',
        'npm [SECRET]',
        'oauth [SECRET]',
        'sendgrid [SECRET]',
        '[SECRET]',
        'Basic Og== is not a credential but Basic [SECRET] is',
      ].join('\n'),
    );
  });

  it('assigned secrets: code-style names take any value, prose names credential-like ones', () => {
    expect(redact('password=correcthorse "secret": "ingredient" client_secret: abcdefgh token: abc123def')).toBe(
      'password=[SECRET] "secret": "[SECRET]" client_secret: [SECRET] token: [SECRET]',
    );
  });

  it('user patterns with their names, before the built-in rules', () => {
    const custom = new PiiRedactor({
      custom: [
        { name: 'employee_id', pattern: 'EMP-\\d{6}' },
        { name: 'ticket', pattern: 'tkt[0-9]+', flags: 'i' },
      ],
    });
    expect(custom.redact('EMP-123456 opened TKT42 for jane@example.com')).toEqual({
      text: '[EMPLOYEE_ID] opened [TICKET] for [EMAIL]',
      counts: { employee_id: 1, ticket: 1, email: 1 },
    });
    expect(() => new PiiRedactor({ custom: [{ name: '1bad', pattern: 'x' }] })).toThrow(/invalid redaction name/);
    expect(() => new PiiRedactor({ custom: [{ name: 'bad', pattern: '(' }] })).toThrow(/invalid redaction pattern/);
    expect(() => new PiiRedactor({ custom: [{ name: 'empty', pattern: 'x*' }] })).toThrow(/empty string/);
  });

  it('user patterns with flags, validated', () => {
    const custom = new PiiRedactor({
      custom: [
        { name: 'badge', pattern: '^badge-\\d{4}$', flags: 'im' },
        { name: 'word', pattern: '\\p{Lu}{3}-\\d+', flags: 'u' },
      ],
    });
    expect(custom.redact('BADGE-1234\nbadge-9876\nticket ÄÖÜ-12').text).toBe('[BADGE]\n[BADGE]\nticket [WORD]');
    expect(customPiiPatternProblem({ name: 'ok', pattern: 'x', flags: 'gi' })).toBeUndefined();
    expect(customPiiPatternProblem({ name: 'sticky', pattern: 'x', flags: 'y' })).toMatch(/invalid redaction flag "y"/);
    expect(customPiiPatternProblem({ name: 'twice', pattern: 'x', flags: 'ii' })).toMatch(/given twice/);
    expect(customPiiPatternProblem({ name: 'unicode', pattern: '\\p{Lu', flags: 'u' })).toMatch(
      /invalid redaction pattern/,
    );
    expect(() => new PiiRedactor({ custom: [{ name: 'bad', pattern: 'x', flags: 'x' }] })).toThrow(
      /invalid redaction flag/,
    );
  });

  it('lets kinds be turned off', () => {
    expect(new PiiRedactor({ disable: ['ip'] }).redact('host 10.1.2.3 mail a@b.io').text).toBe(
      'host 10.1.2.3 mail [EMAIL]',
    );
  });
});

describe('PiiRedactor: what it leaves alone', () => {
  it.each([
    ['years and short numbers', 'In 2024 we shipped 3 releases, 42 fixes and 1500 tests.'],
    ['dates and times', 'Due 2024-01-15 at 10:30:00, or 15/01/2024, or 2024.01.15.'],
    ['order numbers failing Luhn', 'Order 4111111111111112 and ref 1234567890123.'],
    ['ordinary long numbers', 'Population 8000000000; hash 12345678901234567890123; id 9876543210.'],
    [
      'three-part versions and marked four-part versions',
      'Upgrade to 1.2.3, v1.2.3.4, version 10.0.19041.1 and pkg@2.0.0.1.',
    ],
    ['code identifiers', 'Call std::vector<int>, Foo::Bar, my_api_key_name and sk_test_mode in utils.ts.'],
    ['prose about tokens', 'Send a bearer token in the header; the Bearer scheme is standard.'],
    ['numbers with invalid IBAN checksums', 'Code DE00 3704 0044 0532 0130 00 is not an account.'],
    ['out-of-range dotted numbers', 'Coordinates 300.1.2.3 and 1.2.3.256.'],
    ['emails without a real domain', 'user@localhost and foo@bar wrote this.'],
    ['pinned and released four-part versions', 'Pin requests==2.31.0.1, release 4.3.2.1 and build 10.0.1.2.'],
    ['ISBNs', 'ISBN 978-3-16-148410-0, ISBN-10 0-306-40615-2 and 9780306406157.'],
    ['UUIDs', 'Request 123e4567-e89b-12d3-a456-426614174000 and 00000000-0000-0000-0000-000000000000 failed.'],
    ['git hashes', 'Fixed in 3f786850e387550fdab836ed7e6dc881de23001b (short 3f78685), see 0123abc.'],
    ['times', 'Meet at 10:30, 09:15:00 or 23:59:59.999; the log said 12:34:56:78.'],
    ['dates', 'Born 01.02.1990; due 2024-01-15 10:30, 15/01/2024 or 01.02.2024 10:30.'],
    ['order numbers and ids failing Luhn', 'Order 1234 5678 9012 3456 and 0612345678 and 020-000.'],
    ['coordinates', 'At 48.8566, 2.3522 or -33.8688, 151.2093 (lat 0.1276, lon -0.1278).'],
    ['prices', 'It costs $1,234.56, € 1.234,56, 0,99 € or 1 234 567,89 kr.'],
    [
      'prose about secrets and authorization',
      'The secret: ingredient is love. Authorization: required. Password: forgotten.',
    ],
    ['basic as a word', 'Basic setup first, then Basic usage and Basic Auth docs.'],
    ['code identifiers with key-like prefixes', 'Set sk_live_mode, AIzaLength and npm_config_cache in ci.yml.'],
  ])('%s', (_name, text) => {
    expect(redactor.redact(text)).toEqual({ text, counts: {} });
  });
});

describe('PiiRedactor: linear time', () => {
  it('handles long adversarial inputs without catastrophic backtracking', () => {
    const inputs = [
      'a'.repeat(200_000),
      `${'a.'.repeat(100_000)}@`,
      `x@${'a.'.repeat(100_000)}`,
      '1'.repeat(200_000),
      '1 '.repeat(100_000),
      '1.'.repeat(100_000),
      '+1 '.repeat(60_000),
      ':a'.repeat(100_000),
      'eyJ'.repeat(60_000),
      'Bearer '.repeat(30_000),
      'DE89 '.repeat(40_000),
      'de89 '.repeat(40_000),
      '0 '.repeat(100_000),
      '01 '.repeat(70_000),
      '020.'.repeat(50_000),
      '::ffff:1.'.repeat(20_000),
      'Basic '.repeat(30_000),
      'Authorization: '.repeat(15_000),
      'secret: '.repeat(25_000),
      `-----BEGIN PRIVATE KEY-----${'a'.repeat(100_000)}`,
      '-----BEGIN PRIVATE KEY-----'.repeat(8000),
    ];
    for (const input of inputs) expect(typeof redactor.redact(input).text).toBe('string');
  });
});
