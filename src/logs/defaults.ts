/**
 * auth-review's alert thresholds when none are given: the command's flag defaults, unban's check of
 * the auth log and the tests use this one object. Light (start-up: the command module imports it).
 */
export const AUTH_REVIEW_DEFAULTS = {
  /** failures from one address within bruteWindowMs that make a brute force */
  bruteThreshold: 10,
  bruteWindowMs: 10 * 60_000,
  /** distinct users from one address that make a password spray */
  sprayUsers: 5,
  /** distinct addresses failing as one user that make a distributed attack */
  distributedIps: 10,
  /** rows of the top tables */
  top: 10,
} as const;
