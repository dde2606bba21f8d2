import { bruteForce } from './brute-force.js';
import { distributedAttack } from './distributed-attack.js';
import { newSudoUser } from './new-sudo-user.js';
import { passwordLogin } from './password-login.js';
import { passwordSpray } from './password-spray.js';
import { rootLogin } from './root-login.js';
import { successAfterBruteForce } from './success-after-brute-force.js';
import type { AuthAlert } from './unit.js';

export type { AuthAlert, AlertHit, AlertInput, AlertThreshold, AlertThresholds, LoginView } from './unit.js';

/**
 * Every auth-review alert, listed explicitly (no import side effects), in the order their hits are
 * listed when severity and time are equal. The alerts table of docs/auth-review.md is rendered from
 * these units (id, title, severity, attack, description, thresholds, reads).
 */
export const ALERTS: readonly AuthAlert[] = [successAfterBruteForce, rootLogin, passwordLogin, bruteForce, passwordSpray, distributedAttack, newSudoUser];
