// The ingest path's validator of a POST /api/v1/results body: the contract's fast body check (core/records.ts
// checkResultsBody, which the agent uses too) with the gateway's limit on the problems it reports.
import { checkResultsBody } from '../core/records.js';
import { MAX_PROBLEMS, type BodyValidator } from './results-check.js';

export const validatorWithLimit = (maxProblems: number): BodyValidator => (raw) => checkResultsBody(raw, maxProblems);

/** The gateway's validator: the first MAX_PROBLEMS problems. */
export const fastValidator: BodyValidator = validatorWithLimit(MAX_PROBLEMS);
