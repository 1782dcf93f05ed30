import { describe, expect, it } from 'vitest';
import { PiiRedactor } from './pii-redactor.js';

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
    ])
      expect([phone, redact(`call ${phone} now`)]).toEqual([phone, 'call [PHONE] now']);
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
    ];
    for (const input of inputs) expect(typeof redactor.redact(input).text).toBe('string');
  });
});
