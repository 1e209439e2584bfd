/** Event ranks live in the one precedence table (src/contracts/precedence.ts). */
export { RANK } from '../contracts/precedence.js';
import { RANK } from '../contracts/precedence.js';

/** Ranks at or above this one are settled events (the DynamoDB ordering guard's rule). */
export const SETTLED_RANK = RANK.SETTLED;
