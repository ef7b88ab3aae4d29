import { isWithinBusinessHours, type BusinessHours } from '@servicesystem/protocol';

/** True when the channel takes visitors at `now`: no schedule, or inside its business hours. */
export function isChannelOpen(businessHours: string | null, now: number): boolean {
  return (
    businessHours === null ||
    isWithinBusinessHours(JSON.parse(businessHours) as BusinessHours, new Date(now))
  );
}
