/**
 * Where device events (notifications, Send, job transitions) go: EventBridge in AWS, the
 * in-process log at home. Implemented in store/events.ts.
 */
export interface DeviceEvent {
  /** e.g. "lwm2m.send", "lwm2m.notification": EventBridge's detail-type. */
  readonly type: string;
  readonly detail: object;
}

export interface EventPublisher {
  publish(event: DeviceEvent): Promise<void>;
}
