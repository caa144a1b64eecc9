/** What a webhook can subscribe to: the names of the events Outpost POSTs (tracking and complaint events come with those features). */
export const WEBHOOK_EVENTS = ['accepted', 'delivered', 'deferred', 'bounced', 'complained', 'opened', 'clicked', 'unsubscribed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
