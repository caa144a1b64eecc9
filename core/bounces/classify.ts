/**
 * The one bounce classifier: a failure description, whether it is the SMTP
 * reply of a delivery attempt or a recipient of a bounce report received
 * later, becomes a sisimai reason, hard or soft, and bounce-now or retry.
 * What a text means lives in config/bounce-rules.ts; this file only walks that
 * table and reads reply lines, and must never grow a rule of its own.
 */
import { BOUNCE_RULES, HARD_REASONS, type BounceReason, type BounceRule } from '../../config/bounce-rules.js';

export interface BounceInput {
  code?: number;
  status?: string;
  text: string;
}

export interface Classification {
  reason: BounceReason;
  /** hard = HARD_REASONS: the address itself will never accept mail. */
  type: 'hard' | 'soft';
  /** true: bounce now; false: retry later (deferred). From the rule's action, else the reply class (5xx/5.x.x permanent, 4xx/4.x.x temporary); no code and no status: temporary. */
  permanent: boolean;
  /** The matching rule's comment, or 'reply class' when no rule matched. */
  rule: string;
}

/**
 * Replies and diagnostic texts are a line or a few; a longer one is cut before
 * it is read, so that a hostile report cannot make the rules' `.{0,n}` and `.*`
 * parts, or the reading of the line, scan megabytes.
 */
const MAX_REPLY_CHARS = 2000;

/** The first rule that matches `input` decides; without one the reason is 'undefined' and the reply class decides. */
export function classifyBounce(input: BounceInput): Classification {
  const code = input.code === undefined ? undefined : String(input.code);
  const text = input.text.slice(0, MAX_REPLY_CHARS);
  const rule = BOUNCE_RULES.find((candidate) => ruleMatches(candidate, code, input.status, text));
  const reason = rule?.reason ?? 'undefined';
  return {
    reason,
    type: HARD_REASONS.has(reason) ? 'hard' : 'soft',
    permanent: rule?.action === undefined ? replyClassIsPermanent(code, input.status) : rule.action === 'bounce',
    rule: rule?.comment ?? 'reply class',
  };
}

function ruleMatches(rule: BounceRule, code: string | undefined, status: string | undefined, text: string): boolean {
  if (rule.code && (code === undefined || !rule.code.test(code))) return false;
  if (rule.status && (status === undefined || !rule.status.test(status))) return false;
  if (rule.text && !rule.text.test(text)) return false;
  return true;
}

/** RFC 5321 4.2.1 and RFC 3463 2: the code's first digit, else the status class; with neither, retrying is the safe default. */
function replyClassIsPermanent(code: string | undefined, status: string | undefined): boolean {
  return (code ?? status ?? '4').startsWith('5');
}

/** A DSN Diagnostic-Code type ("smtp;", "X-Postfix;", "lmtp;") and the quoting Exchange wraps around replies ("< #5.0.0 ", "#"). */
const DIAGNOSTIC_PREFIX = /^(?:\s*(?:[<'"#]+|(?:smtp|esmtp|lmtp|x-[\w.-]+)\s*;)\s*)+/i;
const LEADING_CODE = /^([245]\d\d)(?:[ -]|$)/;
const STATUS = '[245]\\.\\d{1,3}\\.\\d{1,3}';
const LEADING_STATUS = new RegExp(`^(${STATUS})(?=$|[\\s;:,)>\\]])`);
/** A code right before a status, anywhere: "host mx.dest.test said: 550 5.1.1 ..."; never inside an IP address. */
const EMBEDDED_CODE_AND_STATUS = new RegExp(`(?<![\\w.])([245]\\d\\d)[ -](${STATUS})(?![\\w.])`);
/** A code after the words MTAs put before a quoted reply: "Remote host said: 553 sorry ...". */
const EMBEDDED_CODE = /(?:said|returned|reason|response|reply|error)\s*:?\s*'?\s*([245]\d\d)[ -]/i;
const EMBEDDED_STATUS = new RegExp(`(?<![\\w.])(${STATUS})(?![\\w.])`);

/** Splits "550-5.1.1 text" / "550 5.1.1 text" / "smtp; 550 5.1.1 text" (a DSN Diagnostic-Code) into code, status and text; the status may also come from elsewhere. */
export function parseReplyLine(line: string): BounceInput {
  const lines = line.slice(0, MAX_REPLY_CHARS).split(/\r?\n/).map((part) => part.trim());
  const first = (lines[0] ?? '').replace(DIAGNOSTIC_PREFIX, '');
  const codeMatch = LEADING_CODE.exec(first);

  if (codeMatch) {
    const code = codeMatch[1]!;
    const afterCode = first.slice(codeMatch[0].length).trimStart();
    const statusMatch = LEADING_STATUS.exec(afterCode);
    const status = statusMatch?.[1];
    const continuation = continuationPrefix(code, status);
    const text = [statusMatch ? afterCode.slice(statusMatch[0].length) : afterCode, ...lines.slice(1)]
      .map((part) => part.replace(continuation, ''))
      .join(' ')
      .replace(repeatedPrefix(code, status), ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return withParts(Number(code), status ?? EMBEDDED_STATUS.exec(text)?.[1], text);
  }

  const text = [first, ...lines.slice(1)].join(' ').replace(/\s+/g, ' ').trim();
  const pair = EMBEDDED_CODE_AND_STATUS.exec(text);
  if (pair) return withParts(Number(pair[1]), pair[2], text);
  const code = EMBEDDED_CODE.exec(text)?.[1];
  const status = LEADING_STATUS.exec(text)?.[1] ?? EMBEDDED_STATUS.exec(text)?.[1];
  return withParts(code === undefined ? undefined : Number(code), status, text);
}

function withParts(code: number | undefined, status: string | undefined, text: string): BounceInput {
  return { ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status }), text };
}

/** A multi-line reply repeats the code (and the status) at the start of every line: "550-5.1.1 double-checking ...". */
function continuationPrefix(code: string, status: string | undefined): RegExp {
  return new RegExp(`^${code}[ -]${status ? `(?:${escapeRegExp(status)}(?=\\s|$))?` : ''}\\s*`);
}

/** The same prefixes inside one line, where a DSN folded the reply: "... Please try 550-5.1.1 double-checking ...". */
function repeatedPrefix(code: string, status: string | undefined): RegExp {
  const dashForm = `\\s${code}-(?=\\S)`;
  return new RegExp(status ? `\\s${code}[ -]${escapeRegExp(status)}(?=\\s|$)|${dashForm}` : dashForm, 'g');
}

function escapeRegExp(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
