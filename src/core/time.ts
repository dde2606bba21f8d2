import { UTCDate } from '@date-fns/utc';
import { format } from 'date-fns/format';

/** Evidence timestamps are UTC ISO 8601, never local time. */
export function utcNow(): string {
  return new Date().toISOString();
}

export function isoFromEpochSeconds(s: number): string {
  return new Date(Math.round(s * 1000)).toISOString();
}

/** `20261128T180455Z`, for file and case names. */
export function compactUtc(d: Date = new Date()): string {
  return format(new UTCDate(d), "yyyyMMdd'T'HHmmss'Z'");
}
