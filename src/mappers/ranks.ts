/** Event ranks live in the one precedence table (src/contracts/precedence.ts). */
export { RANK } from '../contracts/precedence.js';
