/**
 * The body of POST /v1/mail/send as zod schemas: the one description that
 * validates requests and feeds the OpenAPI document. Checks only, no
 * transforms (JSON Schema cannot describe them). Every value bound for a header
 * refuses CR/LF (tagged so the route answers header_injection) and other control
 * characters; sender addresses must be bare (addresses.ts). Recipients are only
 * checked for line breaks here: an unusable one is rejected on its own, not
 * the whole request.
 */
import { z } from 'zod';
import { bareAddressProblem } from './addresses.js';
import { BODY_ENCODINGS, charsetProblem } from './body-text.js';

/** The tag a refinement puts on an issue to say the value would have split a header. */
export const HEADER_INJECTION = 'header_injection';

const LINE_BREAK = /[\r\n]/;
const CONTROL_CHARACTER = /\p{Cc}/u;
/** RFC 5322 2.1.1: a header line holds at most 998 octets. */
const MAX_HEADER_TEXT = 998;
const MAX_ADDRESS_LENGTH = 320;
const MAX_TAGS = 20;
/** RFC 6838 4.2 restricted names, without parameters. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const CHARSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,39}$/;

const required = (type: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `must be ${type}`),
});

/** Text that goes into a header: no line breaks, no control characters. */
function headerText(description: string, maxLength = MAX_HEADER_TEXT) {
  return z
    .string(required('a string'))
    .max(maxLength, `at most ${maxLength} characters`)
    .refine((value) => !LINE_BREAK.test(value), {
      message: 'contains a line break (CR or LF), which would end the header and start another; remove it',
      params: { outpost: HEADER_INJECTION },
    })
    .refine((value) => !CONTROL_CHARACTER.test(value.replace(/[\r\n]/g, '')), { message: 'contains control characters; remove them' })
    .describe(description);
}

function senderAddress(description: string) {
  return headerText(description, MAX_ADDRESS_LENGTH).superRefine((value, context) => {
    const problem = bareAddressProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });
}

function recipientList(description: string) {
  return z.array(headerText('an email address, bare: user@example.com', MAX_ADDRESS_LENGTH), required('an array of addresses')).describe(description);
}

function flag(description: string) {
  return z.boolean(required('true or false')).optional().describe(description);
}

/** An attachment in a JSON body. */
export const JsonAttachment = z.strictObject({
  filename: headerText('file name shown to the recipient', 255).min(1, 'required'),
  content: z.base64('must be standard base64 (A-Z a-z 0-9 + /, = padding, no line breaks)').describe('the file, base64-encoded'),
  content_type: headerText('media type, e.g. application/pdf; guessed from the file name when left out', 255)
    .regex(MEDIA_TYPE, 'must be a media type like application/pdf, without parameters')
    .refine((value) => !/^(multipart|message)\//i.test(value), 'multipart/* and message/* cannot be attached as such; use application/octet-stream')
    .optional(),
});

export const SendRequest = z
  .strictObject({
    from: senderAddress('sender address, on one of the account\'s verified domains'),
    to: recipientList('recipient addresses').min(1, 'give at least one recipient'),
    subject: headerText('subject line').min(1, 'required'),
    text: z.string(required('a string')).describe('plain-text body'),
    html: z.string(required('a string')).optional().describe('HTML body'),
    from_name: headerText('sender\'s display name', 200).optional(),
    date: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-31T09:30:00+01:00' }).optional()
      .describe('the Date header (ISO 8601); default: when Outpost accepts the message'),
    reply_to: senderAddress('address for replies').optional(),
    cc: recipientList('addresses shown in Cc').optional(),
    bcc: recipientList('addresses that receive the message without appearing in any header').optional(),
    attachments: z.array(JsonAttachment, required('an array of {filename, content, content_type}')).optional(),
    tags: z.array(headerText('a tag', 128).min(1, 'must not be empty'), required('an array of strings')).max(MAX_TAGS, `at most ${MAX_TAGS} tags`).optional()
      .describe('labels to find the message by later'),
    charset: z.string(required('a string')).regex(CHARSET_NAME, 'must be a charset name like UTF-8 or ISO-8859-1')
      .superRefine((value, context) => {
        const problem = charsetProblem(value);
        if (problem) context.addIssue({ code: 'custom', message: problem });
      })
      .optional().describe('charset of text and html (default UTF-8)'),
    encoding: z.enum(BODY_ENCODINGS, { error: `must be one of ${BODY_ENCODINGS.join(', ')}` }).optional()
      .describe('Content-Transfer-Encoding of text and html (default quoted-printable)'),
    require_tls: flag('defer rather than deliver without STARTTLS'),
    verify_cert: flag('check the destination\'s TLS certificate'),
    open_tracking: flag('track opens: a 1x1 image at the end of the HTML part'),
    click_tracking: flag('track clicks: links of the HTML part go through the tracking endpoint'),
    text_click_tracking: flag('track clicks in the text part too'),
    unsubscribe_tracking: flag('add List-Unsubscribe with one-click unsubscribe (RFC 8058)'),
    test_mode: flag('go through every step but delivery; recipients end as test'),
  })
  .describe('a message to send; require_tls, verify_cert, test_mode and the tracking flags override the sender domain\'s defaults');

/** The fields of a multipart body: the same, with attachments as file parts instead. */
export const SendFields = SendRequest.omit({ attachments: true });

export type SendFieldValues = z.infer<typeof SendFields>;
export type JsonAttachmentValue = z.infer<typeof JsonAttachment>;
